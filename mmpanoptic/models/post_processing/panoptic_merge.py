"""Merging of scored mask predictions into a panoptic map: iterative (K-Net) and parallel (RT-K-Net) argmax
merges, and the paint-by-score merge (Panoptic SegFormer, :func:`merge_panoptic_paint`).

Both functions implement the same rule and, for the same ``overlap_rule``, give the same partition and
labels; only the instance numbering differs (iterative: by descending score; parallel: by query index):

1. every pixel goes to ``argmax_n score_n * mask_n`` over the given queries;
2. query ``n`` becomes a segment if it is ``eligible``, if both its visible area ``|argmax == n|`` and its
   own area ``|mask_n >= mask_thr|`` are non-zero and the visible area passes ``overlap_rule``:

   * ``'ratio'`` (official K-Net, mmdet's ``MaskFormerFusionHead``): dropped if
     ``visible / own < overlap_thr``, computed in float64 (Python floats);
   * ``'scaled_area'`` (official RT-K-Net): kept if ``visible >= own * overlap_thr``, computed in float32.

   The two rules disagree only when the ratio is (within rounding) exactly ``overlap_thr``: with 0.6,
   63 visible of 105 own pixels is kept by ``'ratio'`` and dropped by ``'scaled_area'``
   (``0.6`` in float32 is slightly above 0.6);
3. pixels whose query is not a segment are void; with ``own_only`` (mmdet's ``filter_low_score``) so are
   a segment's pixels where its own probability is below ``mask_thr`` (the areas of step 2 are unchanged).

Both return a :class:`MergeResult`: the map and the value each query wrote (``num_classes`` when none), from
which a caller knows which queries became which segments.

Output encoding (mmdet's): ``label + instance_id * INSTANCE_OFFSET``; things get instance ids 1, 2, ...,
stuff 0, void is ``num_classes`` (``instance_id`` 0).
"""
from typing import NamedTuple, Optional

import torch
from torch import Tensor

from mmpanoptic.structures.panoptic_encoding import INSTANCE_OFFSET


def _check_inputs(mask_probs: Tensor, scores: Tensor, labels: Tensor, eligible: Tensor) -> None:
    num = mask_probs.shape[0]
    if mask_probs.dim() != 3 or not scores.shape == labels.shape == eligible.shape == (num, ):
        raise ValueError(f'expected masks (N, H, W) and scores, labels, eligible of shape (N,), got '
                         f'{tuple(mask_probs.shape)}, {tuple(scores.shape)}, {tuple(labels.shape)}, '
                         f'{tuple(eligible.shape)}')


OVERLAP_RULES = ('ratio', 'scaled_area')


class MergeResult(NamedTuple):
    """``panoptic``: the map (H, W) long; ``codes``: the value (N,) each query wrote, ``num_classes`` if none."""
    panoptic: Tensor
    codes: Tensor


def _void(mask_probs: Tensor, scores: Tensor, num_classes: int) -> MergeResult:
    """An all-void map (H, W) and no query's code: the start of every merge."""
    full = dict(fill_value=num_classes, dtype=torch.long, device=mask_probs.device)
    return MergeResult(torch.full(mask_probs.shape[-2:], **full), torch.full(scores.shape, **full))


def passes_overlap(visible_area: Tensor, own_area: Tensor, overlap_thr: float, rule: str) -> Tensor:
    """Whether each visible area passes ``rule`` (see the module docstring); areas are integer tensors."""
    if rule == 'ratio':
        return ~(visible_area.double() / own_area.double() < overlap_thr)
    if rule == 'scaled_area':
        return visible_area.float() >= own_area.float() * torch.tensor(overlap_thr, dtype=torch.float32)
    raise ValueError(f'overlap_rule must be one of {OVERLAP_RULES}, got {rule!r}')


def merge_panoptic_iterative(mask_probs: Tensor,
                             scores: Tensor,
                             labels: Tensor,
                             eligible: Tensor,
                             num_things: int,
                             num_classes: int,
                             overlap_thr: float = 0.6,
                             mask_thr: float = 0.5,
                             overlap_rule: str = 'ratio',
                             own_only: bool = False) -> MergeResult:
    """Visit queries by descending score and write each accepted segment (K-Net's merge).

    Args:
        mask_probs (Tensor): mask probabilities, shape (N, H, W).
        scores (Tensor): query scores, shape (N,).
        labels (Tensor): query labels (things first, then stuff), shape (N,).
        eligible (Tensor): bool, shape (N,); queries that may become segments (for example things above
            the score threshold). Non-eligible queries still take part in the argmax.
        num_things (int): number of thing classes; labels below it are things.
        num_classes (int): number of classes; the void label.
        overlap_thr (float): minimum ratio of visible area to mask area. Defaults to 0.6.
        mask_thr (float): threshold defining a mask's own area. Defaults to 0.5.
        overlap_rule (str): ``'ratio'`` or ``'scaled_area'`` (see the module docstring). Defaults to
            ``'ratio'``.
        own_only (bool): a segment keeps only the pixels where its own probability is >= ``mask_thr``.

    Returns:
        MergeResult: the panoptic map (H, W) long and the value (N,) each query wrote.
    """
    _check_inputs(mask_probs, scores, labels, eligible)
    panoptic, codes = _void(mask_probs, scores, num_classes)
    if mask_probs.shape[0] == 0:
        return MergeResult(panoptic, codes)
    ids = (scores.view(-1, 1, 1) * mask_probs).argmax(0)
    instance_id = 0
    for k in torch.argsort(scores, descending=True).tolist():
        if not eligible[k]:
            continue
        mask = ids == k
        mask_area = mask.sum()
        original_area = (mask_probs[k] >= mask_thr).sum()
        if mask_area == 0 or original_area == 0:
            continue
        if not passes_overlap(mask_area, original_area, overlap_thr, overlap_rule):
            continue
        label = int(labels[k])
        if label < num_things:
            instance_id += 1
            codes[k] = label + instance_id * INSTANCE_OFFSET
        else:
            codes[k] = label
        panoptic[mask & (mask_probs[k] >= mask_thr) if own_only else mask] = codes[k]
    return MergeResult(panoptic, codes)


def merge_panoptic_parallel(mask_probs: Tensor,
                            scores: Tensor,
                            labels: Tensor,
                            eligible: Tensor,
                            num_things: int,
                            num_classes: int,
                            overlap_thr: float = 0.6,
                            mask_thr: float = 0.5,
                            overlap_rule: str = 'ratio',
                            own_only: bool = False) -> MergeResult:
    """The same merge without a loop over queries (RT-K-Net's parallel post-processing).

    RT-K-Net one-hot encodes the argmax ids, takes the visible areas as sums of the one-hot masks, filters
    by overlap and writes the map as one weighted sum of the one-hot masks with the codes
    ``label + instance_id * INSTANCE_OFFSET``. The same quantities are computed here without materialising
    the (N, H, W) one-hot tensor: the areas are a ``bincount`` of the ids and the weighted sum of one-hot
    masks is a lookup of each pixel's code (void for queries that are not kept). Arguments and result as in
    :func:`merge_panoptic_iterative`; things are numbered by query index.
    """
    _check_inputs(mask_probs, scores, labels, eligible)
    num_queries = mask_probs.shape[0]
    if num_queries == 0:
        return _void(mask_probs, scores, num_classes)
    ids = (scores.view(-1, 1, 1) * mask_probs).argmax(0)
    mask_area = torch.bincount(ids.flatten(), minlength=num_queries)
    # One full reduction per mask (no host synchronisation): on CPU several times faster than reducing a
    # (N, H, W) boolean tensor along its last dimensions.
    original_area = torch.stack([(probs >= mask_thr).sum() for probs in mask_probs])
    keep = eligible & (mask_area > 0) & (original_area > 0) & passes_overlap(mask_area, original_area, overlap_thr,
                                                                             overlap_rule)
    is_thing = keep & (labels < num_things)
    instance_ids = torch.cumsum(is_thing.long(), 0) * is_thing.long()
    codes = torch.where(keep, labels.long() + instance_ids * INSTANCE_OFFSET, num_classes)
    panoptic = codes[ids]
    if own_only:
        own = mask_probs.gather(0, ids[None])[0] >= mask_thr
        panoptic = torch.where(own, panoptic, num_classes)
    return MergeResult(panoptic, codes)


def merge_panoptic_paint(mask_probs: Tensor,
                         scores: Tensor,
                         labels: Tensor,
                         eligible: Tensor,
                         num_things: int,
                         num_classes: int,
                         overlap_thr: float = 0.4,
                         mask_thr: float = 0.5,
                         stuff_overlap_thr: Optional[float] = None) -> MergeResult:
    """Paint masks by descending score onto the pixels still free (Panoptic SegFormer's mask-wise merge).

    For each eligible query, in descending score order, with ``m = mask_probs > mask_thr`` (strictly): skip it
    if ``m`` is empty or if ``|m & painted| / |m|`` exceeds ``overlap_thr`` (things) or ``stuff_overlap_thr``
    (stuff; defaults to ``overlap_thr``), computed in float64; otherwise write its code on the pixels of
    ``m`` not painted yet. There is no argmax: a pixel belongs to the first accepted mask that covers it.
    Arguments and result as in :func:`merge_panoptic_iterative`; things are numbered in painting order.
    """
    _check_inputs(mask_probs, scores, labels, eligible)
    panoptic, codes = _void(mask_probs, scores, num_classes)
    painted = torch.zeros(mask_probs.shape[-2:], dtype=torch.bool, device=mask_probs.device)
    stuff_overlap_thr = overlap_thr if stuff_overlap_thr is None else stuff_overlap_thr
    instance_id = 0
    for k in torch.argsort(scores, descending=True).tolist():
        if not eligible[k]:
            continue
        mask = mask_probs[k] > mask_thr
        area = int(mask.sum())
        if area == 0:
            continue
        label = int(labels[k])
        is_thing = label < num_things
        if int((mask & painted).sum()) / area > (overlap_thr if is_thing else stuff_overlap_thr):
            continue
        if is_thing:
            instance_id += 1
        codes[k] = label + instance_id * INSTANCE_OFFSET if is_thing else label
        panoptic[mask & ~painted] = codes[k]
        painted |= mask
    return MergeResult(panoptic, codes)


def merge_instances_and_semantics(thing_masks: Tensor,
                                  scores: Tensor,
                                  labels: Tensor,
                                  semantic: Tensor,
                                  num_things: int,
                                  num_classes: int,
                                  overlap_thr: float = 0.5,
                                  stuff_area_thr: int = 4096) -> MergeResult:
    """The heuristic of Kirillov et al. (panopticapi's ``combine_semantic_and_instance_predictions``): paint
    the instances, then the stuff of a semantic segmentation on the pixels left free.

    1. Instances by descending score (callers pass the ones above their score threshold): dropped if more
       than ``overlap_thr`` of the mask is painted already, else written on its free pixels
       (:func:`merge_panoptic_paint`);
    2. every stuff class of ``semantic`` gets the free pixels it labels, unless fewer than
       ``stuff_area_thr``; free pixels labelled with a thing class stay void.

    Args:
        thing_masks (Tensor): bool (N, H, W) instance masks.
        scores (Tensor): (N,) instance scores.
        labels (Tensor): (N,) thing labels.
        semantic (Tensor): (H, W) long semantic labels (things first, then stuff).
        num_things (int): number of thing classes.
        num_classes (int): number of classes; the void label.
        overlap_thr (float): Defaults to 0.5.
        stuff_area_thr (int): minimum stuff area in pixels. Defaults to 4096.

    Returns:
        MergeResult: the map and the value each instance wrote (stuff is not a query: it has no code).
    """
    if thing_masks.shape[0] == 0:
        panoptic = torch.full(semantic.shape, num_classes, dtype=torch.long, device=semantic.device)
        codes = torch.full(scores.shape, num_classes, dtype=torch.long, device=semantic.device)
    else:
        panoptic, codes = merge_panoptic_paint(thing_masks, scores, labels, torch.ones_like(labels, dtype=torch.bool),
                                               num_things, num_classes, overlap_thr=overlap_thr, mask_thr=0.5)
    free = panoptic == num_classes
    stuff = torch.where(free & (semantic >= num_things), semantic, num_classes)
    area = torch.bincount(stuff.flatten(), minlength=num_classes + 1)
    keep = area >= stuff_area_thr
    keep[num_classes] = False
    panoptic = torch.where(keep[stuff], stuff, panoptic)
    return MergeResult(panoptic, codes)
