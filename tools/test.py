"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [--out F.pth] [--show-dir DIR] ...``.

Prints the metrics of the config's ``test_evaluator`` (PQ for image configs, VPQ/STQ for video ones) and,
as the last line, a summary such as ``PQ 68.3 | things 51.4 | stuff 90.7``. Flags follow mmdetection's
``tools/test.py``. Official K-Net, RT-K-Net and YOSO files are converted by their family's checkpoint
adapter; the result must fit the model exactly: missing, unexpected or mis-shaped keys stop the run with a
list of them (see :mod:`mmpanoptic.engine.load`). Output paths are checked before the model is built.
"""
import argparse
import os
import os.path as osp

from mmpanoptic.cli import add_common_args, check_writable_dir, load_config, main_with_clear_errors, set_work_dir
from mmpanoptic.errors import ConfigError


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and evaluate) a panoptic segmentation model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file (local path or http(s) URL)')
    parser.add_argument('--work-dir', help='the directory to save the file containing evaluation metrics')
    parser.add_argument('--out', type=str,
                        help='write the predictions to this .pth file (read back safely by tools/misc/'
                        'show_panoptic_results.py)')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument('--show-dir',
                        help='directory (relative: inside <work_dir>/<timestamp>) where PNGs of image | ground truth '
                        '| prediction are saved')
    parser.add_argument('--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument('--tta', action='store_true', help='test-time augmentation (needs tta_model/tta_pipeline)')
    add_common_args(parser)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def enable_visualization(cfg, args) -> None:
    """Make the config's visualization hook draw (and show or save) the test predictions.

    mmdet's ``DetVisualizationHook`` is replaced by :class:`~mmpanoptic.engine.hooks.PanopticVisualizationHook`
    (PNG files, small images enlarged).
    """
    hook = cfg.default_hooks.get('visualization') if 'default_hooks' in cfg else None
    if hook is None:
        raise ConfigError(f'{args.config}: --show/--show-dir need a "visualization" hook in default_hooks')
    if hook.get('type') in ('DetVisualizationHook', 'mmdet.DetVisualizationHook'):
        hook['type'] = 'PanopticVisualizationHook'
    hook['draw'] = True
    if args.show:
        hook['show'] = True
        hook['wait_time'] = args.wait_time
    if args.show_dir:
        hook['test_out_dir'] = args.show_dir


def enable_tta(cfg, args) -> None:
    from mmengine.config import ConfigDict
    if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
        raise ConfigError(f'{args.config}: --tta needs "tta_model" and "tta_pipeline" in the config')
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline


def build_test_config(args):
    from mmpanoptic.evaluation.metrics.dump_results import check_results_path
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    set_work_dir(cfg, args.work_dir, args.config)
    check_writable_dir(cfg.work_dir, '--work-dir')
    if args.verbose:
        cfg.verbose = True
    if '://' not in args.checkpoint and not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint "{args.checkpoint}" does not exist')
    if args.out is not None:
        check_results_path(args.out)
    if args.show_dir and osp.isabs(args.show_dir):
        check_writable_dir(args.show_dir, '--show-dir')
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        enable_visualization(cfg, args)
    if args.tta:
        enable_tta(cfg, args)
    return cfg


def summary_line(metrics: dict) -> str:
    """``PQ 68.3 | things 51.4 | stuff 90.7`` (image), ``VPQ .. | STQ ..`` (video) or every metric, with the
    partial-evaluation note of the metric if it reported one."""
    values = {key.split('/')[-1]: value for key, value in metrics.items()}
    named = (('PQ', 'PQ'), ('PQ_th', 'things'), ('PQ_st', 'stuff'), ('VPQ', 'VPQ'), ('VPQ_th', 'things'),
             ('VPQ_st', 'stuff'), ('STQ', 'STQ'), ('AQ', 'AQ'))
    parts = [f'{title} {values[key]:.1f}' for key, title in named if isinstance(values.get(key), (int, float))]
    if not parts:
        parts = [f'{key} {value:.4g}' if isinstance(value, float) else f'{key} {value}'
                 for key, value in values.items()]
    for unit in ('images', 'videos'):
        if f'partial_{unit}' in values:
            parts.append(f'PARTIAL: {values[f"partial_{unit}"]} of {values[f"total_{unit}"]} {unit}')
    return ' | '.join(parts)


@main_with_clear_errors
def main(argv=None):
    args = parse_args(argv)
    from mmpanoptic.engine import add_checkpoint_adapter_hook, build_runner, setup_cpu_distributed
    from mmpanoptic.engine.config import check_config
    from mmpanoptic.engine.load import load_checkpoint_strict
    from mmpanoptic.evaluation.metrics import DumpPanopticPredictions
    from mmpanoptic.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = build_test_config(args)
    add_checkpoint_adapter_hook(cfg)
    check_config(cfg, 'test')
    setup_cpu_distributed(cfg, args.launcher)
    runner = build_runner(cfg)
    if args.out is not None:
        runner.test_evaluator.metrics.append(DumpPanopticPredictions(out_file_path=args.out))
    load_checkpoint_strict(runner, args.checkpoint)
    metrics = runner.test()
    from mmengine.dist import get_rank
    if get_rank() == 0:
        print(summary_line(metrics), flush=True)
    return metrics


if __name__ == '__main__':
    main()
