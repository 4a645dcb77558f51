"""The one weight loader: checkpoint files -> adapter of the model's family -> the model.

Every path that puts a model's weights into it goes through :func:`adapt_checkpoint`: ``tools/test.py``
and ``init_model`` (strict, :func:`load_weights`), ``load_from`` and ``--resume``
(:class:`~mmpanoptic.engine.hooks.CheckpointAdapterHook`) and ``tools/model_converters/``; pretrained
backbone weights (``init_cfg``) are read by the same :func:`read_checkpoint` (:func:`load_backbone_weights`). An official layout of the model's family is converted by the family's
adapter (:mod:`mmpanoptic.models.checkpoint_adapters`); a checkpoint of another family is refused with a
message naming both.

Strict loading requires every parameter and buffer of the model except the ones that carry no learned
weights and are absent from some official checkpoints, listed in :data:`TOLERATED_MISSING`:

* ``*.num_batches_tracked``: BatchNorm's step counter. detectron2's ``FrozenBatchNorm2d`` (the backbones
  of the official YOSO COCO, ADE20K and Mapillary checkpoints) has none; the counter only matters for
  BatchNorm with ``momentum=None``, which no config here uses, and starts at 0 as in a fresh model.
* ``data_preprocessor.*``: the mean/std buffers, which come from the config.
"""
from typing import Optional, Tuple, Union

from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint, load_state_dict
from torch import nn

from mmpanoptic.errors import UserError
from mmpanoptic.models.checkpoint_adapters import CheckpointFamilyError, ClassLayout, adapt_state_dict
from mmpanoptic.registry import DATASETS

TOLERATED_MISSING: Tuple[str, ...] = ('.num_batches_tracked', )
_TOLERATED_MISSING_PREFIXES = ('data_preprocessor.', )


class CheckpointMismatchError(UserError, RuntimeError):
    """The checkpoint's weights do not fit the model built from the config."""


def read_checkpoint(filename: str) -> dict:
    """The checkpoint in ``filename`` (local path or URL) as a dict, on the CPU.

    Raises:
        CheckpointFileError: if the file is not a whole checkpoint.
        UnsafeCheckpointError: if it holds objects that are not plain weights.
        CheckpointMismatchError: if it holds something other than a dict.
    """
    checkpoint = _load_checkpoint(filename, map_location='cpu')
    if not isinstance(checkpoint, dict):
        raise CheckpointMismatchError(f'{filename}: holds a {type(checkpoint).__name__}, not a dict of weights '
                                      '(save the model\'s state_dict())')
    return checkpoint


def weights_of(checkpoint: dict) -> dict:
    """The weights in a loaded checkpoint: its ``state_dict`` (mmengine, mmdet 2.x) or ``model``
    (detectron2) entry, or the dict itself; a ``module.`` prefix (saved from a wrapper) is removed."""
    state = checkpoint
    for key in ('state_dict', 'model'):
        if isinstance(checkpoint.get(key), dict):
            state = checkpoint[key]
            break
    if state and all(k.startswith('module.') for k in state):
        state = {k[len('module.'):]: v for k, v in state.items()}
    return state


def class_layout(model: nn.Module, dataset_meta: Optional[dict] = None) -> Optional[ClassLayout]:
    """The model's classes (counts from the model, category ids from ``dataset_meta``), if it has any."""
    things = getattr(model, 'num_things_classes', None)
    stuff = getattr(model, 'num_stuff_classes', None)
    if things is None or stuff is None:
        return None
    meta = dataset_meta if dataset_meta is not None else getattr(model, 'dataset_meta', None) or {}
    ids = meta.get('category_ids')
    return ClassLayout(int(things), int(stuff), tuple(int(i) for i in ids) if ids is not None else None)


def adapt_checkpoint(checkpoint: dict, model: nn.Module, dataset_meta: Optional[dict] = None,
                     filename: str = 'checkpoint') -> dict:
    """Put ``checkpoint``'s weights into the layout of ``model``'s family, in place.

    Afterwards ``checkpoint['state_dict']`` holds the adapted weights (a detectron2 ``model`` entry is
    replaced by it), so that mmengine's own loading and resuming read them.

    Returns:
        dict: the adapted weights.

    Raises:
        CheckpointMismatchError: naming ``filename``, if the weights belong to another model family.
    """
    model = model.module if is_model_wrapper(model) else model
    family = getattr(model, 'checkpoint_family', None)
    try:
        state = adapt_state_dict(weights_of(checkpoint), family, type(model).__name__,
                                 class_layout(model, dataset_meta))
    except CheckpointFamilyError as err:
        raise CheckpointMismatchError(f'{filename}: {err}') from None
    checkpoint.pop('model', None)
    checkpoint['state_dict'] = state
    return state


def _tolerated(key: str) -> bool:
    return key.endswith(TOLERATED_MISSING) or key.startswith(_TOLERATED_MISSING_PREFIXES)


def check_fit(model: nn.Module, state: dict, filename: str) -> None:
    """Raise :class:`CheckpointMismatchError` unless ``state`` (adapted weights) fits ``model`` exactly.

    Missing keys in :data:`TOLERATED_MISSING` are tolerated; ``state`` values may be memory-mapped tensors
    (only shapes are read).
    """
    own = model.state_dict()
    missing = sorted(k for k in own if k not in state and not _tolerated(k))
    unexpected = sorted(k for k in state if k not in own)
    mismatched = sorted(f'{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(own[k].shape)}'
                        for k in own if k in state and hasattr(state[k], 'shape')
                        and tuple(state[k].shape) != tuple(own[k].shape))
    if missing or unexpected or mismatched:
        parts = [f'{title} ({len(keys)}): ' + ', '.join(keys[:20]) + (' ...' if len(keys) > 20 else '')
                 for title, keys in (('missing keys', missing), ('unexpected keys', unexpected),
                                     ('shape mismatch', mismatched)) if keys]
        raise CheckpointMismatchError(
            f'{filename}: does not fit the model of this config: ' + '; '.join(parts) +
            ' (is it a checkpoint of another config or dataset?)')


def load_weights(model: nn.Module, checkpoint: Union[str, dict], strict: bool = True,
                 dataset_meta: Optional[dict] = None, filename: Optional[str] = None) -> dict:
    """Load a checkpoint file or loaded checkpoint into ``model`` through its family's adapter.

    Args:
        model (nn.Module): the model (or a wrapper of it).
        checkpoint (str | dict): a file (local path or URL) or a loaded checkpoint.
        strict (bool): every key must fit (except :data:`TOLERATED_MISSING`); else mmengine's
            behaviour: missing, unexpected and mis-shaped keys are logged as a warning (fine-tuning).
        dataset_meta (dict, optional): the dataset's meta (``category_ids``) for converters that reorder
            class rows; defaults to ``model.dataset_meta``.
        filename (str, optional): the file's name for messages, when ``checkpoint`` is a dict.

    Returns:
        dict: the checkpoint, its ``state_dict`` adapted.

    Raises:
        CheckpointMismatchError: naming the file and listing the keys (strict), or naming both families.
    """
    if isinstance(checkpoint, str):
        filename, checkpoint = checkpoint, read_checkpoint(checkpoint)
    filename = filename or 'checkpoint'
    model = model.module if is_model_wrapper(model) else model
    state = adapt_checkpoint(checkpoint, model, dataset_meta, filename)
    if strict:
        check_fit(model, state, filename)
    load_state_dict(model, state, strict=False, logger='current')
    return checkpoint


def dataset_meta_from_cfg(cfg) -> Optional[dict]:
    """The ``METAINFO`` of the config's test (else val, else train) dataset, with its ``metainfo`` override.

    Only the dataset class is looked up; no annotation file is read. Dataset wrappers (``dataset=``) are
    followed.
    """
    from mmengine.registry import init_default_scope
    init_default_scope(cfg.get('default_scope', 'mmpanoptic'))
    for name in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        dataset = (cfg.get(name) or {}).get('dataset')
        while isinstance(dataset, dict):
            cls = DATASETS.get(dataset['type']) if isinstance(dataset.get('type'), str) else dataset.get('type')
            if hasattr(cls, 'METAINFO'):
                return dict(cls.METAINFO, **(dataset.get('metainfo') or {}))
            dataset = dataset.get('dataset')
    return None


def load_checkpoint_strict(runner: Runner, filename: str) -> dict:
    """Load ``filename`` strictly into ``runner.model`` (``tools/test.py``); the runner will not load
    ``load_from`` again.

    Raises:
        CheckpointMismatchError: naming the file and listing the keys.
    """
    checkpoint = load_weights(runner.model, filename, strict=True, dataset_meta=dataset_meta_from_cfg(runner.cfg))
    runner._has_loaded = True
    return checkpoint


def load_backbone_weights(backbone: nn.Module, filename: str, prefix: str = 'backbone.') -> None:
    """Load pretrained weights (``init_cfg=dict(type='Pretrained', ...)``) into a backbone.

    The file may hold the backbone alone or a whole model whose backbone keys start with ``prefix`` (as a
    detectron2 ``MODEL.WEIGHTS`` file does); only those keys are taken then. Missing and unexpected keys
    are logged (mmengine's behaviour for pretrained weights), but a file none of whose keys fit the
    backbone stops with :class:`CheckpointMismatchError`.
    """
    state = weights_of(read_checkpoint(filename))
    if any(k.startswith(prefix) for k in state):
        state = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    own = backbone.state_dict()
    if not any(k in own for k in state):
        raise CheckpointMismatchError(f'{filename}: none of its {len(state)} keys (e.g. {list(state)[:3]}) is a '
                                      f'key of {type(backbone).__name__} (is it the pretrained file of another '
                                      'backbone?)')
    load_state_dict(backbone, state, strict=False, logger='current')
