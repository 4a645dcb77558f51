"""Registries of mmpanoptic.

Every registry is a child of mmdet's registry of the same name, so in the ``mmpanoptic`` scope a config
resolves ``type`` names in this order: mmpanoptic, mmdet, mmengine. Names that none of them has are
then looked up in mmseg's registry of the same name, so mmseg modules (for example
``type='ResNetV1c'`` or ``type='mmseg.ResNetV1c'``) can be used without a prefix. A name that exists in
both mmdet and mmseg (``ResNet``, ``FPN``, ``CrossEntropyLoss`` ...) resolves to mmdet's; write the
``mmseg.`` prefix to get mmseg's.
"""
from typing import Any, Optional

from mmdet import registry as mmdet_registry
from mmengine.registry import Registry


class _FallbackRegistry(Registry):
    """A child of an mmdet registry that falls back to mmseg's registry of the same name.

    Args:
        fallback_scope (str): the scope whose registry is searched when a name without a scope
            prefix is found neither here nor in any ancestor.
    """

    def __init__(self, *args, fallback_scope: Optional[str] = 'mmseg', **kwargs):
        super().__init__(*args, **kwargs)
        self._fallback_scope = fallback_scope

    def _fallback(self) -> Optional[Registry]:
        if self._fallback_scope is None:
            return None
        try:
            module = __import__(f'{self._fallback_scope}.registry', fromlist=['registry'])
        except ImportError:
            return None
        for value in vars(module).values():
            if isinstance(value, Registry) and value.name == self.name:
                return value
        return None

    def get(self, key: str) -> Any:
        obj = super().get(key)
        if obj is not None or not isinstance(key, str):
            return obj
        scope, _ = self.split_scope_key(key)
        if scope is not None:
            return None
        fallback = self._fallback()
        return fallback.get(key) if fallback is not None else None


def _child(name: str, parent: Registry, location: Optional[str]) -> Registry:
    return _FallbackRegistry(
        name, parent=parent, scope='mmpanoptic', locations=[location] if location else None)


RUNNERS = _child('runner', mmdet_registry.RUNNERS, 'mmpanoptic.engine')
RUNNER_CONSTRUCTORS = _child('runner constructor', mmdet_registry.RUNNER_CONSTRUCTORS, 'mmpanoptic.engine')
LOOPS = _child('loop', mmdet_registry.LOOPS, 'mmpanoptic.engine')
HOOKS = _child('hook', mmdet_registry.HOOKS, 'mmpanoptic.engine')

DATASETS = _child('dataset', mmdet_registry.DATASETS, 'mmpanoptic.datasets')
DATA_SAMPLERS = _child('data sampler', mmdet_registry.DATA_SAMPLERS, 'mmpanoptic.datasets')
TRANSFORMS = _child('transform', mmdet_registry.TRANSFORMS, 'mmpanoptic.datasets.transforms')

MODELS = _child('model', mmdet_registry.MODELS, 'mmpanoptic.models')
MODEL_WRAPPERS = _child('model_wrapper', mmdet_registry.MODEL_WRAPPERS, 'mmpanoptic.models')
WEIGHT_INITIALIZERS = _child('weight initializer', mmdet_registry.WEIGHT_INITIALIZERS, 'mmpanoptic.models')

OPTIMIZERS = _child('optimizer', mmdet_registry.OPTIMIZERS, 'mmpanoptic.engine')
OPTIM_WRAPPERS = _child('optim_wrapper', mmdet_registry.OPTIM_WRAPPERS, 'mmpanoptic.engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer constructor', mmdet_registry.OPTIM_WRAPPER_CONSTRUCTORS,
                                    'mmpanoptic.engine')
PARAM_SCHEDULERS = _child('parameter scheduler', mmdet_registry.PARAM_SCHEDULERS, 'mmpanoptic.engine')

METRICS = _child('metric', mmdet_registry.METRICS, 'mmpanoptic.evaluation')
EVALUATOR = _child('evaluator', mmdet_registry.EVALUATOR, 'mmpanoptic.evaluation')
TASK_UTILS = _child('task util', mmdet_registry.TASK_UTILS, 'mmpanoptic.models')

VISUALIZERS = _child('visualizer', mmdet_registry.VISUALIZERS, 'mmpanoptic.visualization')
VISBACKENDS = _child('vis_backend', mmdet_registry.VISBACKENDS, 'mmpanoptic.visualization')
LOG_PROCESSORS = _child('log_processor', mmdet_registry.LOG_PROCESSORS, 'mmpanoptic.engine')

# Every path that builds or loads a model goes through this module: allow mmengine's checkpoint types here
# (the import is last because the engine's hooks import the registries above).
from .engine.checkpoint import install as _install_checkpoint_compat  # noqa: E402

_install_checkpoint_compat()
