"""Joint histogram of ground-truth and predicted segment ids: the per-frame input of PQ, VPQ and STQ.

Every panoptic metric of this package only needs, for each frame, how many pixels each
(ground-truth segment, predicted segment) pair shares, plus the class of each segment. A
:class:`SegmentHistogram` stores exactly that as a few short arrays (one entry per non-empty pair,
typically a few hundred per frame instead of ``H*W`` pixels), so frames can be gathered across ranks,
windows of frames can be pooled by concatenation (tube areas and intersections are sums of per-frame
ones) and the metrics never touch pixels again.

A *lookup* maps the unique ids of one side to ``(labels, crowd)``: ``labels`` are contiguous class
indices with ``-1`` for VOID and ``crowd`` flags ground-truth thing regions without an instance
identity. Lookups are built by :mod:`mmpanoptic.evaluation.functional.panoptic_io` for each format.
"""
from dataclasses import dataclass
from typing import Callable, Sequence, Tuple

import numpy as np

from mmpanoptic.errors import DataError

Lookup = Callable[[np.ndarray], Tuple[np.ndarray, np.ndarray]]

VOID_LABEL = -1


@dataclass
class SegmentHistogram:
    """Pixel counts of the non-empty (ground-truth id, predicted id) pairs of one or more frames.

    All arrays have shape (K,), one entry per pair; the same id may appear in several entries.

    Attributes:
        gt_id (np.ndarray): int64 ground-truth segment id (tube identity across frames).
        gt_label (np.ndarray): int64 class of ``gt_id``; ``-1`` is VOID.
        gt_crowd (np.ndarray): bool, ``gt_id`` is a thing region without instance identity.
        pred_id (np.ndarray): int64 predicted segment id (tube identity across frames).
        pred_label (np.ndarray): int64 class of ``pred_id``; ``-1`` is VOID.
        count (np.ndarray): int64 number of pixels of the pair.
    """
    gt_id: np.ndarray
    gt_label: np.ndarray
    gt_crowd: np.ndarray
    pred_id: np.ndarray
    pred_label: np.ndarray
    count: np.ndarray

    @classmethod
    def concatenate(cls, histograms: Sequence['SegmentHistogram']) -> 'SegmentHistogram':
        """Pool frames: the result describes the frames stacked into one image (ids keep their
        identity, so equal ids in different frames form one tube)."""
        if len(histograms) == 0:
            raise ValueError('Cannot concatenate an empty list of segment histograms.')
        return cls(*(np.concatenate([getattr(h, name) for h in histograms])
                     for name in ('gt_id', 'gt_label', 'gt_crowd', 'pred_id', 'pred_label', 'count')))

    @property
    def num_pixels(self) -> int:
        return int(self.count.sum())


def compact_ids(ids: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Unique values of an integer array and the index of every element into them.

    Uses a bincount when the value range is small (the common case for label maps), a sort otherwise.

    Args:
        ids (np.ndarray): integer array of shape (N,).

    Returns:
        tuple: ``unique`` (U,) int64 sorted values and ``index`` (N,) int64 with ``unique[index] == ids``.
    """
    ids = ids.astype(np.int64, copy=False)
    if ids.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    low, high = int(ids.min()), int(ids.max())
    if high - low < max(1 << 20, 4 * ids.size):
        shifted = ids - low
        present = np.flatnonzero(np.bincount(shifted))
        table = np.zeros(high - low + 1, np.int64)
        table[present] = np.arange(len(present))
        return present + low, table[shifted]
    unique, index = np.unique(ids, return_inverse=True)
    return unique, index.reshape(-1)


def segment_histogram(gt_ids: np.ndarray, pred_ids: np.ndarray, gt_lookup: Lookup, pred_lookup: Lookup,
                      name: str = 'frame') -> SegmentHistogram:
    """Joint histogram of two id maps of the same frame, without any loop over pixels or id pairs.

    The (gt, pred) pairs are counted with one ``np.unique`` over 64-bit joint keys
    ``(gt - min) * pred_range + (pred - min)``; when that key could overflow, each side is first compacted.

    Args:
        gt_ids (np.ndarray): ground-truth ids, shape (H, W), any integer dtype.
        pred_ids (np.ndarray): predicted ids, shape (H, W).
        gt_lookup (Lookup): maps the unique ground-truth ids (U,) to ``(labels (U,), crowd (U,))``.
        pred_lookup (Lookup): the same for predicted ids (its crowd flags are not used).
        name (str): frame name used in error messages.

    Returns:
        SegmentHistogram: one entry per non-empty (gt id, pred id) pair.
    """
    if gt_ids.shape != pred_ids.shape:
        raise DataError(f'{name}: the prediction has size {tuple(pred_ids.shape)} but the ground truth '
                        f'has size {tuple(gt_ids.shape)}.')
    if gt_ids.size == 0:
        raise DataError(f'{name}: empty frame (size {tuple(gt_ids.shape)}).')
    gt_flat = gt_ids.reshape(-1).astype(np.int64, copy=False)
    pred_flat = pred_ids.reshape(-1).astype(np.int64, copy=False)
    gt_low, pred_low = int(gt_flat.min()), int(pred_flat.min())
    gt_range, pred_range = int(gt_flat.max()) - gt_low + 1, int(pred_flat.max()) - pred_low + 1
    if gt_range * pred_range < 2**62:
        # one sort of joint keys; cheaper than compacting each side first
        keys, counts = np.unique((gt_flat - gt_low) * pred_range + (pred_flat - pred_low), return_counts=True)
        pair_gt, pair_pred = np.divmod(keys, pred_range)
        pair_gt += gt_low
        pair_pred += pred_low
    else:
        gt_values, gt_index = compact_ids(gt_flat)
        pred_values, pred_index = compact_ids(pred_flat)
        keys, counts = np.unique(gt_index * len(pred_values) + pred_index, return_counts=True)
        gt_pos, pred_pos = np.divmod(keys, len(pred_values))
        pair_gt, pair_pred = gt_values[gt_pos], pred_values[pred_pos]
    gt_unique, gt_pos = np.unique(pair_gt, return_inverse=True)
    pred_unique, pred_pos = np.unique(pair_pred, return_inverse=True)
    gt_labels, gt_crowd = gt_lookup(gt_unique)
    pred_labels, _ = pred_lookup(pred_unique)
    return SegmentHistogram(
        gt_id=pair_gt,
        gt_label=np.asarray(gt_labels, np.int64)[gt_pos],
        gt_crowd=np.asarray(gt_crowd, bool)[gt_pos],
        pred_id=pair_pred,
        pred_label=np.asarray(pred_labels, np.int64)[pred_pos],
        count=counts.astype(np.int64))
