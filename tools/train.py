"""Train a model: ``python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] ...``.

Flags follow mmdetection's ``tools/train.py``. Distributed runs go through ``tools/dist_train.sh``; on a
machine without CUDA they use a gloo process group (see ``mmpanoptic.engine.dist``). Everything the run
needs is checked before the model is built: the config (keys and the arguments of every typed dict), the
data roots, the work dir, ``load_from`` and the checkpoint to resume from.
"""
import argparse
import os
import os.path as osp
from typing import List

from mmpanoptic.cli import add_common_args, check_writable_dir, load_config, main_with_clear_errors, set_work_dir
from mmpanoptic.errors import ConfigError

VIS_BACKENDS = {'local': 'LocalVisBackend', 'tensorboard': 'TensorboardVisBackend'}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a panoptic segmentation model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--amp', action='store_true', help='enable automatic mixed precision training (CUDA)')
    parser.add_argument('--auto-scale-lr', action='store_true', help='scale the lr with the total batch size')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint; without a path, from the latest checkpoint in the work dir (or from '
        'scratch if it has none)')
    parser.add_argument(
        '--vis-backend',
        choices=sorted(VIS_BACKENDS),
        action='append',
        help='also write training curves with this backend (repeatable; "tensorboard" writes event files '
        'under <work_dir>/<timestamp>/vis_data)')
    add_common_args(parser)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def add_vis_backends(cfg, names) -> None:
    """Add the visualizer backends ``names`` (keys of :data:`VIS_BACKENDS`) that the config lacks."""
    if 'visualizer' not in cfg:
        raise ConfigError(f'{cfg.filename}: --vis-backend needs a "visualizer" in the config')
    backends = list(cfg.visualizer.get('vis_backends') or [])
    for name in names:
        if not any(b.get('type') == VIS_BACKENDS[name] for b in backends):
            backends.append(dict(type=VIS_BACKENDS[name]))
    cfg.visualizer.vis_backends = backends


def resolve_resume(cfg, resume) -> List[str]:
    """Set ``cfg.resume``/``cfg.load_from`` for ``--resume`` (``'auto'``, a path or None); return the lines to
    log about it (warnings first).

    An automatic resume (``--resume`` without a path, or ``resume=True`` without ``load_from`` in the config)
    continues from :func:`~mmpanoptic.engine.runner.resume_checkpoint` of the work dir, or starts from
    scratch, saying so, when the work dir has no checkpoint.
    """
    from mmpanoptic.engine.runner import resume_checkpoint
    if resume is not None and resume != 'auto':
        if '://' not in resume and not osp.isfile(resume):
            raise FileNotFoundError(f'checkpoint "{resume}" given to --resume does not exist')
        cfg.resume, cfg.load_from = True, resume
        return []
    if resume == 'auto' or (cfg.get('resume') and not cfg.get('load_from')):
        found, notes = resume_checkpoint(cfg.work_dir) if osp.isdir(cfg.work_dir) else (None, [])
        if found is None:
            cfg.resume, cfg.load_from = False, None
            return notes + [f'--resume: no checkpoint in {cfg.work_dir} to resume from; training starts from scratch']
        cfg.resume, cfg.load_from = True, found
        return notes
    return []


def build_train_config(args):
    """The config of a training run: the file, ``--cfg-options`` and the flags above.

    Returns:
        tuple[Config, list[str]]: the config and the warnings about the resume to log.
    """
    import torch
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    set_work_dir(cfg, args.work_dir, args.config)
    check_writable_dir(cfg.work_dir, '--work-dir')
    if args.verbose:
        cfg.verbose = True
    if args.amp:
        if not torch.cuda.is_available():
            raise ConfigError('--amp: mixed precision training needs a CUDA device and this machine has none '
                              '(train without --amp)')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.auto_scale_lr:
        if not isinstance(cfg.get('auto_scale_lr'), dict) or 'base_batch_size' not in cfg.auto_scale_lr:
            raise ConfigError(f'{args.config}: --auto-scale-lr needs auto_scale_lr = dict(base_batch_size=N) in the '
                              'config (N: the total batch size its learning rate was set for)')
        cfg.auto_scale_lr.enable = True
    if args.vis_backend:
        add_vis_backends(cfg, args.vis_backend)
    notes = resolve_resume(cfg, args.resume)
    if cfg.get('load_from') and '://' not in cfg.load_from and not osp.isfile(cfg.load_from):
        raise FileNotFoundError(f'{args.config}: load_from "{cfg.load_from}" does not exist')
    return cfg, notes


@main_with_clear_errors
def main(argv=None):
    args = parse_args(argv)
    from mmpanoptic.engine import add_checkpoint_adapter_hook, build_runner, setup_cpu_distributed
    from mmpanoptic.engine.config import check_config
    from mmpanoptic.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg, notes = build_train_config(args)
    add_checkpoint_adapter_hook(cfg)
    check_config(cfg, 'train')
    setup_cpu_distributed(cfg, args.launcher)
    runner = build_runner(cfg)
    for note in notes:
        runner.logger.warning(note)
    runner.train()


if __name__ == '__main__':
    main()
