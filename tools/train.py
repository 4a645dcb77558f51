"""Train a model: ``python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] ...``.

Flags follow mmdetection's ``tools/train.py``. Distributed runs go through ``tools/dist_train.sh``; on a
machine without CUDA they use a gloo process group (see ``mmpanoptic.engine.dist``).
"""
import argparse
import os
import os.path as osp

from mmengine.runner import Runner

from mmpanoptic.engine import add_checkpoint_adapter_hook, setup_cpu_distributed
from mmpanoptic.engine.config import check_config
from mmpanoptic.registry import RUNNERS
from mmpanoptic.utils import add_common_args, load_config, main_with_clear_errors, register_all_modules
from mmpanoptic.cli import set_work_dir


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a panoptic segmentation model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--amp', action='store_true', help='enable automatic mixed precision training')
    parser.add_argument('--auto-scale-lr', action='store_true', help='scale the lr with the total batch size')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint; without a path, from the latest checkpoint in the work dir')
    add_common_args(parser)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_train_config(args):
    """The config of a training run: the file, ``--cfg-options`` and the flags above."""
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    set_work_dir(cfg, args.work_dir, args.config)
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            raise ValueError(f'{args.config}: --auto-scale-lr needs "auto_scale_lr.base_batch_size" in the config')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        if '://' not in args.resume and not osp.isfile(args.resume):
            raise FileNotFoundError(f'checkpoint "{args.resume}" given to --resume does not exist')
        cfg.resume, cfg.load_from = True, args.resume
    if cfg.get('load_from') and '://' not in cfg.load_from and not osp.isfile(cfg.load_from):
        raise FileNotFoundError(f'{args.config}: load_from "{cfg.load_from}" does not exist')
    add_checkpoint_adapter_hook(cfg)
    return cfg


@main_with_clear_errors
def main(argv=None):
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = build_train_config(args)
    check_config(cfg, 'train')
    setup_cpu_distributed(cfg, args.launcher)
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
