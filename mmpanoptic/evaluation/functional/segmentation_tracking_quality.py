"""Segmentation and Tracking Quality (STQ) of the STEP benchmark, from per-frame segment histograms.

Definitions as in the STEP paper and deeplab2's numpy reference (``shared/specs/metrics.md`` section 4):

* AQ, per sequence, over thing pixels: ground-truth tracks are thing segments with an instance id
  (crowd, i.e. thing pixels without instance, are removed from both sides); predicted tracks are the
  predicted thing segments (any instance id, ground-truth void pixels kept). For every ground-truth
  track g, ``AQ(g) = sum_p |g∩p| * IoU(g, p) / |g|`` with no class-consistency check. The dataset AQ is
  the sum over all tracks of all sequences divided by the number of tracks (0 when there is none).
* SQ is the mean IoU of one confusion matrix over all frames: ground-truth void rows are dropped; a
  predicted void pixel on a valid ground-truth pixel is a false negative and opens a "void" column that
  enters the mean with IoU 0 (reference behaviour). Classes with an empty union are left out.
* STQ = sqrt(AQ * SQ). Per-sequence values use the sequence's own AQ and IoU.
"""
from typing import Dict, Sequence

import numpy as np

from .segment_histogram import SegmentHistogram


class STQAccumulator:
    """Accumulates STQ statistics sequence by sequence.

    Args:
        num_classes (int): number of classes C; labels are in [0, C), ``-1`` is void.
        thing_classes (Sequence[int]): classes that carry track ids (KITTI-STEP: 11 person, 13 car).
        drop_void_predictions (bool): remove ground-truth void pixels from the predicted tracks too
            (the Video K-Net KITTI-STEP driver's variant). Defaults to False (reference behaviour).
    """

    def __init__(self, num_classes: int, thing_classes: Sequence[int], drop_void_predictions: bool = False) -> None:
        self.num_classes = num_classes
        self.is_thing = np.zeros(num_classes + 1, bool)
        self.is_thing[np.asarray(list(thing_classes), np.int64)] = True
        self.drop_void_predictions = drop_void_predictions
        self.confusion: Dict[str, np.ndarray] = {}
        self.aq_sum: Dict[str, float] = {}
        self.num_tracks: Dict[str, int] = {}
        self.num_frames: Dict[str, int] = {}

    def add_sequence(self, name: str, frames: Sequence[SegmentHistogram]) -> None:
        """Add one complete sequence.

        Args:
            name (str): sequence id; each sequence may be added once (states only merge for disjoint
                sequences).
            frames (Sequence[SegmentHistogram]): histograms of the sequence's frames. The crowd flag of
                the ground truth must mark thing pixels without an instance id.
        """
        if name in self.confusion:
            raise ValueError(f'STQ: sequence {name!r} was already added; a sequence must be evaluated once, '
                             'with all its frames.')
        if len(frames) == 0:
            raise ValueError(f'STQ: sequence {name!r} has no frame.')
        hist = SegmentHistogram.concatenate(frames)
        size = self.num_classes + 1
        gt_row = np.where(hist.gt_label < 0, self.num_classes, hist.gt_label)
        pred_col = np.where(hist.pred_label < 0, self.num_classes, hist.pred_label)
        confusion = np.bincount(gt_row * size + pred_col, weights=hist.count, minlength=size * size)
        confusion = confusion.reshape(size, size).astype(np.int64)
        confusion[self.num_classes] = 0
        self.confusion[name] = confusion
        self.num_frames[name] = len(frames)

        crowd = hist.gt_crowd & self.is_thing[gt_row]
        gt_track = self.is_thing[gt_row] & ~crowd
        pred_track = self.is_thing[pred_col] & ~crowd
        if self.drop_void_predictions:
            pred_track &= hist.gt_label >= 0
        gt_ids, gt_index = np.unique(hist.gt_id[gt_track], return_inverse=True)
        gt_size = np.bincount(gt_index.reshape(-1), weights=hist.count[gt_track], minlength=len(gt_ids))
        pred_ids, pred_index = np.unique(hist.pred_id[pred_track], return_inverse=True)
        pred_size = np.bincount(pred_index.reshape(-1), weights=hist.count[pred_track], minlength=len(pred_ids))

        both = gt_track & pred_track
        gt_pos = np.searchsorted(gt_ids, hist.gt_id[both])
        pred_pos = np.searchsorted(pred_ids, hist.pred_id[both])
        keys, key_index = np.unique(gt_pos * max(len(pred_ids), 1) + pred_pos, return_inverse=True)
        intersection = np.bincount(key_index.reshape(-1), weights=hist.count[both], minlength=len(keys))
        pair_gt, pair_pred = np.divmod(keys, max(len(pred_ids), 1))
        union = gt_size[pair_gt] + pred_size[pair_pred] - intersection
        weighted = intersection * intersection / union / gt_size[pair_gt]
        self.aq_sum[name] = float(weighted.sum())
        self.num_tracks[name] = len(gt_ids)

    @staticmethod
    def _mean_iou(confusion: np.ndarray) -> float:
        intersection = np.diag(confusion).astype(np.float64)
        union = confusion.sum(0) + confusion.sum(1) - intersection
        valid = union > 0
        return float((intersection[valid] / union[valid]).mean()) if valid.any() else 0.0

    def result(self) -> dict:
        """STQ, AQ and SQ (mean IoU) of all added sequences, and the per-sequence values.

        Returns:
            dict: ``STQ``, ``AQ``, ``SQ`` (fractions), ``num_tracks`` and ``per_sequence``
            {name: {STQ, AQ, SQ, num_tracks, num_frames}}.
        """
        if not self.confusion:
            raise ValueError('STQ: no sequence was added.')
        total_tracks = sum(self.num_tracks.values())
        aq = sum(self.aq_sum.values()) / total_tracks if total_tracks > 0 else 0.0
        sq = self._mean_iou(sum(self.confusion.values()))
        per_sequence = {}
        for name in self.confusion:
            seq_aq = self.aq_sum[name] / self.num_tracks[name] if self.num_tracks[name] > 0 else 0.0
            seq_sq = self._mean_iou(self.confusion[name])
            per_sequence[name] = dict(STQ=float(np.sqrt(seq_aq * seq_sq)), AQ=seq_aq, SQ=seq_sq,
                                      num_tracks=self.num_tracks[name], num_frames=self.num_frames[name])
        return dict(STQ=float(np.sqrt(aq * sq)), AQ=aq, SQ=sq, num_tracks=total_tracks, per_sequence=per_sequence)
