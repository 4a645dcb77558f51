"""Official checkpoint layouts for ``load_from`` and ``--resume``."""
from mmengine.hooks import Hook

from mmpanoptic.engine.load import adapt_checkpoint, dataset_meta_from_cfg
from mmpanoptic.registry import HOOKS


@HOOKS.register_module()
class CheckpointAdapterHook(Hook):
    """Convert a checkpoint that the runner loads (``load_from``, ``resume``) to the model family's layout.

    Runs in ``after_load_checkpoint``, which mmengine calls between reading the file and loading it into the
    model: an official K-Net / RT-K-Net / YOSO file is converted by its family's adapter, a file of another
    family stops the run naming both. ``tools/train.py`` and ``tools/test.py`` add this hook to every
    config that lacks it.
    """

    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        adapt_checkpoint(checkpoint, runner.model, dataset_meta_from_cfg(runner.cfg),
                         runner.cfg.get('load_from') or 'checkpoint')


def add_checkpoint_adapter_hook(cfg) -> None:
    """Append :class:`CheckpointAdapterHook` to ``cfg.custom_hooks`` unless it is there."""
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(h.get('type') in ('CheckpointAdapterHook', CheckpointAdapterHook) for h in hooks):
        hooks.append(dict(type='CheckpointAdapterHook'))
    cfg.custom_hooks = hooks
