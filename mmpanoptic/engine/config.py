"""Checks that turn common config mistakes into one clear message before a run starts."""
import difflib
import os.path as osp
from typing import Iterable

from mmengine.config import Config

from mmpanoptic.errors import ConfigError

# Top-level keys that mmengine's Runner.from_cfg reads.
RUNNER_KEYS = (
    'model', 'work_dir', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'train_cfg', 'val_cfg',
    'test_cfg', 'auto_scale_lr', 'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
    'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from', 'resume', 'launcher', 'env_cfg',
    'log_processor', 'log_level', 'visualizer', 'default_scope', 'randomness', 'experiment_name',
    'model_wrapper_cfg', 'runner_type', 'vis_backends', 'find_unused_parameters', 'custom_imports',
    'tta_model', 'tta_pipeline', 'compile', 'cfg')

# Variables that configs commonly define for their own use; never reported as misspelt runner keys.
COMMON_VARIABLES = ('train_pipeline', 'val_pipeline', 'test_pipeline', 'dataset_type', 'data_root',
                    'backend_args', 'image_size', 'num_classes', 'num_things_classes', 'num_stuff_classes',
                    'max_iters', 'max_epochs', 'batch_augments', 'metainfo', 'interval', 'val_interval')

PHASE_DATALOADERS = {
    'train': ('train_dataloader', 'val_dataloader'),
    'test': ('test_dataloader', ),
    'browse': ('train_dataloader', ),
}




def _misspelt_keys(cfg: Config) -> Iterable[str]:
    for key in cfg.keys():
        if key in RUNNER_KEYS or key in COMMON_VARIABLES or key.startswith('_'):
            continue
        close = difflib.get_close_matches(key, RUNNER_KEYS, n=1, cutoff=0.9)
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
    """Raise :class:`ConfigError` for misspelt top-level keys or a dataset root that does not exist.

    Args:
        cfg (Config): the loaded config (``cfg.filename`` names it in messages).
        phase (str): ``'train'`` checks the train and val data, ``'test'`` the test data, ``'browse'`` the
            train data.
    """
    name = cfg.filename or '<config>'
    misspelt = list(_misspelt_keys(cfg))
    if misspelt:
        raise ConfigError(f'{name}: unknown top-level key(s) {", ".join(misspelt)}')
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
