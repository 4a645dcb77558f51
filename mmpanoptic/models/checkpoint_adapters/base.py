"""The checkpoint adapter registry: one pure function per model family from its official layout to ours.

Each family (K-Net, RT-K-Net, YOSO, Panoptic SegFormer, RT-PanoNet) registers a :class:`CheckpointAdapter`: the key prefixes that only its
official layout has, the prefixes that only mmpanoptic's layout of the family has, and a pure ``convert``
function (detectron2's checkpointer and timm's ``checkpoint_filter_fn`` are the models). The one loader,
:mod:`mmpanoptic.engine.load`, calls :func:`adapt_state_dict` for ``tools/test.py``, ``load_from`` /
``--resume``, ``init_model``, pretrained ``init_cfg`` weights and ``tools/model_converters/``.
"""
import re
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from torch import Tensor

from mmpanoptic.errors import UserError

StateDict = Dict[str, Tensor]


class CheckpointFamilyError(UserError, ValueError):
    """The checkpoint holds the weights of another model family than the model that loads it."""


@dataclass(frozen=True)
class ClassLayout:
    """What a converter needs to know about the model's classes.

    Args:
        num_things_classes (int): thing classes (mmpanoptic's labels ``[0, num_things)``).
        num_stuff_classes (int): stuff classes (labels ``[num_things, num_classes)``).
        category_ids (Sequence[int], optional): the dataset category id of each mmpanoptic label (the
            ``category_ids`` of the dataset's ``METAINFO``); needed by converters whose official class
            order follows the category ids (YOSO on Cityscapes, ADE20K, Mapillary Vistas).
    """
    num_things_classes: int
    num_stuff_classes: int
    category_ids: Optional[Tuple[int, ...]] = None

    @property
    def num_classes(self) -> int:
        return self.num_things_classes + self.num_stuff_classes


@dataclass(frozen=True)
class CheckpointAdapter:
    """How one model family's official checkpoints map to mmpanoptic's layout.

    Args:
        family (str): the family name, the ``checkpoint_family`` of its segmentors.
        title (str): the name users know (``'K-Net'``).
        official_prefixes (tuple[str]): key prefixes only the official layout has.
        own_prefixes (tuple[str]): key prefixes only mmpanoptic's layout of this family has.
        convert (callable): ``convert(state_dict, classes) -> state_dict``, pure, from the official layout
            (the weights themselves, without a ``state_dict``/``model`` wrapper) to mmpanoptic's.
    """
    family: str
    title: str
    official_prefixes: Tuple[str, ...]
    own_prefixes: Tuple[str, ...]
    convert: Callable[[StateDict, ClassLayout], StateDict]


_ADAPTERS: Dict[str, CheckpointAdapter] = {}


def register_adapter(adapter: CheckpointAdapter) -> CheckpointAdapter:
    """Add ``adapter`` to the registry (a family registers once)."""
    if adapter.family in _ADAPTERS:
        raise KeyError(f'a checkpoint adapter for family {adapter.family!r} is already registered')
    _ADAPTERS[adapter.family] = adapter
    return adapter


def get_adapter(family: str) -> CheckpointAdapter:
    """The adapter of ``family``; ``KeyError`` listing the known families otherwise."""
    if family not in _ADAPTERS:
        raise KeyError(f'no checkpoint adapter for family {family!r} (known: {sorted(_ADAPTERS)})')
    return _ADAPTERS[family]


def detect_layout(keys: Iterable[str]) -> Optional[Tuple[CheckpointAdapter, str]]:
    """The family and layout of a state dict's keys.

    Returns:
        tuple | None: ``(adapter, 'official' | 'mmpanoptic')``, or None when the keys belong to no
        registered family (a backbone-only file, another model).

    Raises:
        CheckpointFamilyError: if the keys carry the marks of two families.
    """
    keys = list(keys)
    found: List[Tuple[CheckpointAdapter, str]] = []
    for adapter in _ADAPTERS.values():
        for layout, prefixes in (('official', adapter.official_prefixes), ('mmpanoptic', adapter.own_prefixes)):
            if any(k.startswith(prefixes) for k in keys):
                found.append((adapter, layout))
    if len(found) > 1:
        names = ', '.join(f'{a.title} ({layout} layout)' for a, layout in found)
        raise CheckpointFamilyError(f'the checkpoint mixes the weights of several model families: {names}')
    return found[0] if found else None


def adapt_state_dict(state_dict: StateDict, family: Optional[str], model_title: str,
                     classes: Optional[ClassLayout]) -> StateDict:
    """The state dict in mmpanoptic's layout of ``family``, converted if it is an official one.

    Args:
        state_dict (dict): the weights (no ``state_dict``/``model`` wrapper).
        family (str, optional): the family of the model that loads (its ``checkpoint_family``); None for
            models without an adapter (they accept no family's checkpoint).
        model_title (str): the model's name, for messages.
        classes (ClassLayout, optional): the model's classes, for converters that permute class rows.

    Returns:
        dict: ``state_dict`` itself when it needs no conversion, else a new converted dict.

    Raises:
        CheckpointFamilyError: if the state dict belongs to another family; the message names both.
    """
    found = detect_layout(state_dict)
    if found is None:
        return state_dict
    adapter, layout = found
    if adapter.family != family:
        wanted = f'a {model_title} checkpoint' if family is None else \
            f'a {get_adapter(family).title} checkpoint (official or mmpanoptic layout)'
        raise CheckpointFamilyError(
            f'the checkpoint holds {adapter.title} weights ({layout} layout) but the model is {model_title} '
            f'(use a {adapter.title} config for this file, or {wanted})')
    if layout == 'mmpanoptic':
        return state_dict
    if classes is None:
        raise CheckpointFamilyError(f'converting an official {adapter.title} checkpoint needs the model\'s '
                                    'class counts')
    return adapter.convert(dict(state_dict), classes)


def permute_class_rows(value: Tensor, official_rows: Sequence[int], extra_rows: int = 0) -> Tensor:
    """Rows of a classifier in mmpanoptic's label order.

    Args:
        value (Tensor): official rows, shape (num_classes + extra_rows, ...).
        official_rows (Sequence[int]): for each mmpanoptic label, the index of its official row.
        extra_rows (int): trailing rows that stay where they are (a no-object class).
    """
    expected = len(official_rows) + extra_rows
    if value.shape[0] != expected:
        raise CheckpointFamilyError(f'the classifier has {value.shape[0]} rows, the model expects {expected} '
                                    f'({len(official_rows)} classes + {extra_rows}); is the checkpoint of '
                                    'another dataset?')
    index = list(official_rows) + list(range(len(official_rows), expected))
    return value[index]


def stuff_first_rows(classes: ClassLayout) -> List[int]:
    """Official row of each mmpanoptic label when the official order is stuff first, then things."""
    things, stuff = classes.num_things_classes, classes.num_stuff_classes
    return [stuff + label for label in range(things)] + list(range(stuff))


def category_id_rows(classes: ClassLayout, owner: str) -> List[int]:
    """Official row of each mmpanoptic label when the official rows follow ascending category ids.

    This is detectron2's contiguous id order for the builtin panoptic datasets: COCO (things first, the
    same as mmpanoptic), Cityscapes (trainId order: stuff first), ADE20K and Mapillary Vistas
    (category order, things and stuff interleaved).
    """
    if classes.category_ids is None:
        raise CheckpointFamilyError(f'{owner}: the official class rows follow the dataset category ids, but '
                                    'the dataset of the config declares no "category_ids" (load the file '
                                    'with a config of the dataset it was trained on)')
    ids = list(classes.category_ids)
    if len(ids) != classes.num_classes:
        raise CheckpointFamilyError(f'{owner}: the dataset has {len(ids)} category ids but the model '
                                    f'{classes.num_classes} classes')
    order = sorted(ids)
    return [order.index(cat_id) for cat_id in ids]


def first_rule(key: str, rules: Sequence[tuple]) -> Optional[str]:
    """``key`` renamed by the first of ``rules`` (``(pattern, replacement)`` pairs for ``re.subn``) that matches
    it; None when none does."""
    for pattern, repl in rules:
        new, count = re.subn(pattern, repl, key)
        if count:
            return new
    return None
