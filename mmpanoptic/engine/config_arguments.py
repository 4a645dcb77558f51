"""Check every ``dict(type=...)`` of a config against the signature of what it builds, before a run starts.

A misspelt argument (``model.backbone.dpeth``, ``train_dataloader.batch_szie``,
``default_hooks.checkpoint.intervel``) otherwise fails when the part is built, after the part is built
(a hook's ``**kwargs`` reach the first checkpoint save) or never. Here each typed dict is resolved in the
registry its place in the config implies, and its keys are compared with the parameters of the class:
its ``__init__`` and, while that takes ``**kwargs``, the ``__init__`` of the next class in the MRO. A class
whose ``**kwargs`` end nowhere known (a function, or kwargs kept for the class's own use) accepts anything,
unless :func:`kwargs_targets` says where they go.

``optim_wrapper.paramwise_cfg`` (and its ``custom_keys`` entries) is checked against the keys mmengine's
default constructor reads. Not checked: ``init_cfg`` dicts (the initialisers read keys such as
``override.name`` themselves), plain dicts without ``type`` that a module reads itself (``model.train_cfg``,
``model.test_cfg``), and types that no registry has (building them reports the unknown name).
"""
import difflib
import functools
import inspect
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple

import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import Registry

from mmpanoptic import registry as R
from mmpanoptic.errors import ConfigError

# Keys of a dataloader dict: torch's DataLoader arguments and what mmengine's Runner.build_dataloader pops.
DATALOADER_KEYS = ('dataset', 'sampler', 'batch_sampler', 'num_batch_per_epoch', 'worker_init_fn', 'collate_fn')

# Arguments that the code building a part passes itself (they are in the signature but not config keys).
INJECTED = ('self', 'params', 'optimizer', 'param_name', 'runner', 'dataloader', 'evaluator', 'module')

# Extra keys that the code building a layer consumes before calling the class: mmcv's ``build_norm_layer``
# (``requires_grad``) and mmdet's ResNet blocks (``dcn.fallback_on_stride``).
LAYER_EXTRAS = {'norm_cfg': ('requires_grad', ), 'dcn': ('fallback_on_stride', )}

# The keys of ``optim_wrapper.paramwise_cfg`` that mmengine's DefaultOptimWrapperConstructor (and its
# subclasses here) read, and those of one ``custom_keys`` entry.
PARAMWISE_KEYS = ('custom_keys', 'bias_lr_mult', 'bias_decay_mult', 'norm_decay_mult', 'dwconv_decay_mult',
                  'flat_decay_mult', 'dcn_offset_lr_mult', 'bypass_duplicate')
CUSTOM_KEY_KEYS = ('lr_mult', 'decay_mult')

# Config keys whose dicts are not built from a registry by key name (checked elsewhere or not at all).
UNCHECKED_KEYS = ('init_cfg', 'override', 'train_cfg', 'test_cfg', 'env_cfg', 'paramwise_cfg', 'custom_keys')


@functools.lru_cache(maxsize=None)
def kwargs_targets() -> Dict[str, Tuple[Callable, Tuple[str, ...]]]:
    """Where classes send the ``**kwargs`` they keep: class name -> (function, its parameters the class fills)."""
    from mmengine.runner import Runner

    # CheckpointHook passes its **kwargs on to Runner.save_checkpoint at every save.
    return {
        'CheckpointHook': (Runner.save_checkpoint, ('out_dir', 'filename', 'file_client_args', 'save_optimizer',
                                                    'save_param_scheduler', 'by_epoch', 'backend_args'))
    }


def _names(function: Callable) -> Tuple[Set[str], bool]:
    """(named parameters, whether it takes ``**kwargs``) of ``function``."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return set(), True
    names = {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return names, any(p.kind == p.VAR_KEYWORD for p in parameters)


def accepted_arguments(obj: Any) -> Optional[Set[str]]:
    """The keyword arguments ``obj`` (a class or a function) accepts; None if it accepts any.

    A class's own ``__init__`` and, while the ones seen take ``**kwargs``, those further up the MRO, up to
    ``nn.Module`` or ``object`` (see the module docstring).
    """
    if not inspect.isclass(obj):
        names, open_kwargs = _names(obj)
        return None if open_kwargs else names
    accepted: Set[str] = set()
    for klass in obj.__mro__:
        if klass in (nn.Module, object):
            target = kwargs_targets().get(obj.__name__)
            if klass is object and target is None:
                return None
            if target is not None:
                names, _ = _names(target[0])
                accepted |= names - set(target[1])
            return accepted
        if '__init__' not in vars(klass):
            continue
        names, open_kwargs = _names(vars(klass)['__init__'])
        accepted |= names
        if not open_kwargs:
            return accepted
    return None


def _resolve(type_name: Any, registries: Sequence[Registry]) -> Any:
    if not isinstance(type_name, str):
        return type_name if callable(type_name) else None
    for registry in registries:
        obj = registry.get(type_name)
        if obj is not None:
            return obj
    return None


def _problem(where: str, key: str, obj: Any, accepted: Set[str]) -> str:
    accepted = sorted(set(accepted) - set(INJECTED) - {'type'})
    close = difflib.get_close_matches(key, accepted, n=1, cutoff=0.6)
    hint = f'did you mean "{close[0]}"?' if close else f'its arguments: {", ".join(accepted) or "none"}'
    return f'{where}.{key}: {getattr(obj, "__name__", obj)} has no argument "{key}" ({hint})'


def _check_typed(cfg: dict, where: str, registries: Sequence[Registry], default: Any = None,
                 extra: Sequence[str] = ()) -> Iterator[str]:
    """Problems of one dict built by ``registries`` (``default`` when it has no ``type``), then of its
    children."""
    obj = _resolve(cfg['type'], registries) if 'type' in cfg else default
    if obj is not None:
        accepted = accepted_arguments(obj)
        if accepted is not None:
            accepted = accepted | set(extra) | {'type'}
            for key in cfg:
                if key not in accepted and key not in INJECTED:
                    yield _problem(where, key, obj, accepted)
    yield from _check_children(cfg, where, registries)


# The registries a typed dict is looked up in, by the key it sits under (the first that has the name wins).
_BY_KEY = {
    'pipeline': ('TRANSFORMS', ),
    'transforms': ('TRANSFORMS', ),
    'dataset': ('DATASETS', ),
    'datasets': ('DATASETS', ),
    'sampler': ('DATA_SAMPLERS', ),
    'batch_sampler': ('DATA_SAMPLERS', ),
    'vis_backends': ('VISBACKENDS', ),
    'metrics': ('METRICS', ),
    'optimizer': ('OPTIMIZERS', ),
}


def _check_children(cfg: dict, where: str, registries: Sequence[Registry]) -> Iterator[str]:
    for key, value in cfg.items():
        if key in UNCHECKED_KEYS:
            continue
        child_registries = tuple(getattr(R, name) for name in _BY_KEY.get(key, ())) or registries
        extra = LAYER_EXTRAS.get(key, ())
        items = value if isinstance(value, (list, tuple)) else [value]
        for i, item in enumerate(items):
            path = f'{where}.{key}' if not isinstance(value, (list, tuple)) else f'{where}.{key}[{i}]'
            if isinstance(item, (list, tuple)):  # TestTimeAug's list of transform lists
                for j, inner in enumerate(item):
                    if isinstance(inner, dict) and 'type' in inner:
                        yield from _check_typed(inner, f'{path}[{j}]', child_registries)
            elif isinstance(item, dict) and 'type' in item:
                yield from _check_typed(item, path, child_registries, extra=extra)
            elif isinstance(item, dict):
                yield from _check_children(item, path, child_registries)


def _paramwise_problems(wrapper: dict) -> Iterator[str]:
    """Unknown keys of ``optim_wrapper.paramwise_cfg`` for mmengine's default constructor and subclasses."""
    from mmengine.optim import DefaultOptimWrapperConstructor
    constructor = wrapper.get('constructor') or 'DefaultOptimWrapperConstructor'
    cls = _resolve(constructor, (R.OPTIM_WRAPPER_CONSTRUCTORS, ))
    paramwise = wrapper.get('paramwise_cfg')
    if not (isinstance(paramwise, dict) and inspect.isclass(cls) and issubclass(cls, DefaultOptimWrapperConstructor)):
        return
    for key in paramwise:
        if key not in PARAMWISE_KEYS:
            yield _problem('optim_wrapper.paramwise_cfg', key, cls, set(PARAMWISE_KEYS))
    for name, entry in (paramwise.get('custom_keys') or {}).items():
        for key in entry if isinstance(entry, dict) else ():
            if key not in CUSTOM_KEY_KEYS:
                yield _problem(f'optim_wrapper.paramwise_cfg.custom_keys[{name!r}]', key, cls, set(CUSTOM_KEY_KEYS))


def _loop_default(cfg: dict, phase: str) -> Any:
    from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop, TestLoop, ValLoop
    if phase == 'train_cfg':
        return EpochBasedTrainLoop if cfg.get('by_epoch', False) else IterBasedTrainLoop
    return ValLoop if phase == 'val_cfg' else TestLoop


def argument_problems(cfg: Config) -> List[str]:
    """Every misspelt or unknown argument of the typed dicts of ``cfg`` (see the module docstring).

    Returns:
        list[str]: ``<key path>.<key>: <Class> has no argument "<key>" (did you mean "..."?)`` per problem.
    """
    models = (R.MODELS, R.TASK_UTILS)
    problems: List[str] = []
    if isinstance(cfg.get('model'), dict):
        problems += _check_typed(cfg.model, 'model', models)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if isinstance(loader, dict):
            from torch.utils.data import DataLoader
            problems += _check_typed(loader, name, (R.DATASETS, ), default=DataLoader, extra=DATALOADER_KEYS)
    for name, hook in (cfg.get('default_hooks') or {}).items():
        if isinstance(hook, dict):
            problems += _check_typed(hook, f'default_hooks.{name}', (R.HOOKS, ))
    for i, hook in enumerate(cfg.get('custom_hooks') or []):
        problems += _check_typed(hook, f'custom_hooks[{i}]', (R.HOOKS, ))
    wrapper = cfg.get('optim_wrapper')
    if isinstance(wrapper, dict) and 'optimizer' in wrapper:
        from mmengine.optim import OptimWrapper
        default = None if 'type' in wrapper else OptimWrapper
        problems += _check_typed(wrapper, 'optim_wrapper', (R.OPTIM_WRAPPERS, ), default=default,
                                 extra=('optimizer', 'paramwise_cfg', 'constructor'))
        problems += _paramwise_problems(wrapper)
    schedulers = cfg.get('param_scheduler') or []
    for i, scheduler in enumerate([schedulers] if isinstance(schedulers, dict) else schedulers):
        problems += _check_typed(scheduler, f'param_scheduler[{i}]', (R.PARAM_SCHEDULERS, ))
    for name in ('val_evaluator', 'test_evaluator'):
        evaluator = cfg.get(name)
        for i, metric in enumerate(evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]):
            if isinstance(metric, dict) and 'type' in metric:
                where = name if isinstance(evaluator, dict) else f'{name}[{i}]'
                problems += _check_typed(metric, where, (R.METRICS, R.EVALUATOR))
    for name, registries in (('visualizer', (R.VISUALIZERS, )), ('log_processor', (R.LOG_PROCESSORS, )),
                             ('model_wrapper_cfg', (R.MODEL_WRAPPERS, ))):
        if isinstance(cfg.get(name), dict) and 'type' in cfg[name]:
            problems += _check_typed(cfg[name], name, registries)
    for name in ('train_cfg', 'val_cfg', 'test_cfg'):
        loop = cfg.get(name)
        if isinstance(loop, dict):
            default = None if 'type' in loop else _loop_default(loop, name)
            problems += _check_typed(loop, name, (R.LOOPS, ), default=default, extra=('by_epoch', ))
    return problems


def check_arguments(cfg: Config) -> None:
    """Raise :class:`ConfigError` listing :func:`argument_problems` (the first three) if there are any."""
    problems = argument_problems(cfg)
    if problems:
        more = f' and {len(problems) - 3} more' if len(problems) > 3 else ''
        raise ConfigError(f'{cfg.filename or "<config>"}: {"; ".join(problems[:3])}{more}')


__all__ = ['accepted_arguments', 'argument_problems', 'check_arguments']
