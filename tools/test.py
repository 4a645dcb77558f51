"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [--out F.pkl] [--show-dir DIR] ...``.

Prints the metrics of the config's ``test_evaluator`` (PQ for image configs, VPQ/STQ for video ones).
Flags follow mmdetection's ``tools/test.py``. Official K-Net, RT-K-Net and YOSO files are converted by
their family's checkpoint adapter; the result must fit the model exactly: missing, unexpected or
mis-shaped keys stop the run with a list of them (see :mod:`mmpanoptic.engine.load`).
"""
import argparse
import os
import os.path as osp

from mmdet.evaluation import DumpDetResults
from mmengine.config import ConfigDict
from mmengine.runner import Runner

from mmpanoptic.engine import add_checkpoint_adapter_hook, setup_cpu_distributed
from mmpanoptic.engine.config import check_config
from mmpanoptic.errors import ConfigError
from mmpanoptic.engine.load import load_checkpoint_strict
from mmpanoptic.registry import RUNNERS
from mmpanoptic.utils import add_common_args, load_config, main_with_clear_errors, register_all_modules
from mmpanoptic.cli import set_work_dir


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and evaluate) a panoptic segmentation model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file (local path or http(s) URL)')
    parser.add_argument('--work-dir', help='the directory to save the file containing evaluation metrics')
    parser.add_argument('--out', type=str, help='dump predictions to a pickle file for offline evaluation')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument('--show-dir', help='directory (inside the work dir) where painted images are saved')
    parser.add_argument('--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument('--tta', action='store_true', help='test-time augmentation (needs tta_model/tta_pipeline)')
    add_common_args(parser)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def enable_visualization(cfg, args) -> None:
    """Make the config's visualization hook draw (and show or save) the test predictions."""
    hook = cfg.default_hooks.get('visualization') if 'default_hooks' in cfg else None
    if hook is None:
        raise ConfigError(f'{args.config}: --show/--show-dir need a "visualization" hook in default_hooks')
    hook['draw'] = True
    if args.show:
        hook['show'] = True
        hook['wait_time'] = args.wait_time
    if args.show_dir:
        hook['test_out_dir'] = args.show_dir


def enable_tta(cfg, args) -> None:
    if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
        raise ConfigError(f'{args.config}: --tta needs "tta_model" and "tta_pipeline" in the config')
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline


def build_test_config(args):
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    set_work_dir(cfg, args.work_dir, args.config)
    if '://' not in args.checkpoint and not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint "{args.checkpoint}" does not exist')
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        enable_visualization(cfg, args)
    if args.tta:
        enable_tta(cfg, args)
    add_checkpoint_adapter_hook(cfg)
    return cfg


@main_with_clear_errors
def main(argv=None):
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = build_test_config(args)
    check_config(cfg, 'test')
    setup_cpu_distributed(cfg, args.launcher)
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ConfigError(f'--out must be a .pkl file, got "{args.out}"')
        runner.test_evaluator.metrics.append(DumpDetResults(out_file_path=args.out))
    load_checkpoint_strict(runner, args.checkpoint)
    return runner.test()


if __name__ == '__main__':
    main()
