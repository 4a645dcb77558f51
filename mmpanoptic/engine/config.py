"""Checks that turn common config mistakes into one clear message before a run starts."""
import difflib
import os.path as osp
from typing import Iterable

from mmengine.config import Config

from mmpanoptic.errors import ConfigError
from .config_arguments import check_arguments

# Top-level keys that mmengine's Runner.from_cfg reads.
RUNNER_KEYS = (
    'model', 'work_dir', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'train_cfg', 'val_cfg',
    'test_cfg', 'auto_scale_lr', 'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
    'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from', 'resume', 'launcher', 'env_cfg',
    'log_processor', 'log_level', 'visualizer', 'default_scope', 'randomness', 'experiment_name',
    'model_wrapper_cfg', 'runner_type', 'vis_backends', 'find_unused_parameters', 'custom_imports',
    'tta_model', 'tta_pipeline', 'compile', 'cfg', 'verbose')  # verbose: read by PanopticRunner

# Variables that configs commonly define for their own use; never reported as misspelt runner keys.
COMMON_VARIABLES = ('train_pipeline', 'val_pipeline', 'test_pipeline', 'dataset_type', 'data_root',
                    'backend_args', 'image_size', 'num_classes', 'num_things_classes', 'num_stuff_classes',
                    'max_iters', 'max_epochs', 'batch_augments', 'metainfo', 'interval', 'val_interval')

# mmdet 2.x / mmcv 1.x top-level keys that mmengine ignores, with what replaced them.
LEGACY_KEYS = {
    'optimizer': 'optim_wrapper=dict(optimizer=...)',
    'optimizer_config': 'optim_wrapper (clip_grad=..., type=\'AmpOptimWrapper\' for fp16)',
    'lr_config': 'param_scheduler=[...]',
    'momentum_config': 'param_scheduler=[...]',
    'runner': 'train_cfg=dict(type=\'IterBasedTrainLoop\', max_iters=...) or EpochBasedTrainLoop',
    'total_epochs': 'train_cfg=dict(max_epochs=...)',
    'workflow': 'train_cfg / val_cfg',
    'data': 'train_dataloader / val_dataloader / test_dataloader',
    'evaluation': 'val_evaluator / test_evaluator and train_cfg.val_interval',
    'checkpoint_config': 'default_hooks.checkpoint',
    'log_config': 'default_hooks.logger and vis_backends',
    'dist_params': 'env_cfg.dist_cfg',
    'fp16': '--amp or optim_wrapper.type=\'AmpOptimWrapper\'',
    'resume_from': 'resume=True with load_from=... (or --resume PATH)',
    'gpu_ids': 'the launcher (tools/dist_train.sh CONFIG GPUS)',
}

PHASE_DATALOADERS = {
    'train': ('train_dataloader', 'val_dataloader'),
    'test': ('test_dataloader', ),
    'browse': ('train_dataloader', ),
}


def _misspelt_keys(cfg: Config) -> Iterable[str]:
    """Top-level keys that mmengine would ignore although the user meant something: mmdet 2.x keys and
    near-misses of runner keys (``load_form``, ``modle``, ``train_cgf``; a similarity of 0.75, which leaves
    variables such as ``model_cfg`` alone)."""
    for key in cfg.keys():
        if key in RUNNER_KEYS or key in COMMON_VARIABLES or key.startswith('_'):
            continue
        if key in LEGACY_KEYS:
            yield f'"{key}" (an mmdet 2.x key that mmengine ignores; use {LEGACY_KEYS[key]})'
            continue
        close = difflib.get_close_matches(key, RUNNER_KEYS, n=1, cutoff=0.75)
        if close:
            yield f'"{key}" (did you mean "{close[0]}"?)'


def _dataset_roots(dataset: dict, where: str):
    """Yield (key path, data_root) for a dataset config, looking inside dataset wrappers."""
    if not isinstance(dataset, dict):
        return
    if dataset.get('data_root'):
        yield where, dataset['data_root']
    if isinstance(dataset.get('dataset'), dict):
        yield from _dataset_roots(dataset['dataset'], f'{where}.dataset')
    for i, child in enumerate(dataset.get('datasets') or []):
        yield from _dataset_roots(child, f'{where}.datasets[{i}]')


def check_config(cfg: Config, phase: str) -> None:
    """Raise :class:`ConfigError` for misspelt top-level keys, misspelt arguments of any typed dict
    (:mod:`mmpanoptic.engine.config_arguments`) or a dataset root that does not exist.

    Call it after the modules are registered (``register_all_modules``).

    Args:
        cfg (Config): the loaded config (``cfg.filename`` names it in messages).
        phase (str): ``'train'`` checks the train and val data, ``'test'`` the test data, ``'browse'`` the
            train data.
    """
    name = cfg.filename or '<config>'
    misspelt = list(_misspelt_keys(cfg))
    if misspelt:
        raise ConfigError(f'{name}: unknown top-level key(s) {", ".join(misspelt)}')
    check_arguments(cfg)
    for loader_key in PHASE_DATALOADERS[phase]:
        loader = cfg.get(loader_key)
        if not loader:
            continue
        for where, root in _dataset_roots(loader.get('dataset'), f'{loader_key}.dataset'):
            if '://' not in str(root) and not osp.isdir(root):
                raise ConfigError(
                    f'{name}: {where}.data_root "{root}" does not exist (prepare the dataset as in '
                    'docs/dataset_prepare.md, or point to it with --cfg-options '
                    f'{where}.data_root=PATH)')
