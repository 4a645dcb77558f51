"""Panoptic quality (PQ, SQ, RQ) with the panopticapi matching rules, vectorised.

Rules (``shared/specs/metrics.md`` section 2): a ground-truth segment g and a predicted segment p of
the same class match iff ``|g∩p| / (|g| + |p| - |g∩p| - |p∩VOID|) > 0.5``; unmatched non-crowd
ground truth is a false negative; an unmatched prediction is a false positive unless more than half of
it lies on VOID plus the crowd region of its own class. Statistics are summed per class over the whole
dataset and the class mean is taken over classes with ``tp + fp + fn > 0`` (or, as an option, over
all classes: the STEP scripts' convention).
"""
import warnings
from typing import Dict

import numpy as np

from .segment_histogram import SegmentHistogram

CLASS_MEANS = ('present', 'all')


class PanopticStats:
    """Per-class true positives, false positives, false negatives and summed IoU of matches.

    The array counterpart of panopticapi's ``PQStat``: stats of disjoint images (or windows) add up.

    Args:
        num_classes (int): number of classes C.

    Attributes:
        tp, fp, fn (np.ndarray): int64 counts, shape (C,).
        iou (np.ndarray): float64 sum of the IoU of the matches, shape (C,).
    """

    def __init__(self, num_classes: int) -> None:
        self.tp = np.zeros(num_classes, np.int64)
        self.fp = np.zeros(num_classes, np.int64)
        self.fn = np.zeros(num_classes, np.int64)
        self.iou = np.zeros(num_classes, np.float64)

    @property
    def num_classes(self) -> int:
        return len(self.tp)

    def __iadd__(self, other: 'PanopticStats') -> 'PanopticStats':
        if other.num_classes != self.num_classes:
            raise ValueError(f'Cannot add panoptic stats of {other.num_classes} classes to stats of '
                             f'{self.num_classes} classes.')
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.iou += other.iou
        return self

    def __add__(self, other: 'PanopticStats') -> 'PanopticStats':
        total = PanopticStats(self.num_classes)
        total += self
        total += other
        return total

    def per_class(self) -> Dict[str, np.ndarray]:
        """PQ, SQ, RQ of every class (0 for classes without segments), shape (C,) each."""
        denominator = self.tp + 0.5 * self.fp + 0.5 * self.fn
        safe = np.maximum(denominator, 1e-300)
        pq = np.where(denominator > 0, self.iou / safe, 0.0)
        rq = np.where(denominator > 0, self.tp / safe, 0.0)
        sq = np.where(self.tp > 0, self.iou / np.maximum(self.tp, 1), 0.0)
        return dict(pq=pq, sq=sq, rq=rq, tp=self.tp.copy(), fp=self.fp.copy(), fn=self.fn.copy())

    def summary(self, thing_mask: np.ndarray, class_mean: str = 'present',
                context: str = 'PQ') -> Dict[str, dict]:
        """Class means for all classes, things and stuff.

        Args:
            thing_mask (np.ndarray): bool (C,), True for thing classes.
            class_mean (str): ``'present'`` averages over the classes with ``tp + fp + fn > 0``
                (panopticapi); ``'all'`` over every class of the subset, absent ones counting 0 (STEP
                scripts). Defaults to ``'present'``.
            context (str): name used in warnings.

        Returns:
            dict: ``{'All' | 'Things' | 'Stuff': {'pq', 'sq', 'rq', 'n'}, 'per_class': per_class()}``,
            values as fractions. A subset with no class to average (n = 0) gets 0.0 and a warning.
        """
        if class_mean not in CLASS_MEANS:
            raise ValueError(f'class_mean must be one of {CLASS_MEANS}, got {class_mean!r}.')
        thing_mask = np.asarray(thing_mask, bool)
        if thing_mask.shape != (self.num_classes, ):
            raise ValueError(f'thing_mask has shape {thing_mask.shape}, expected ({self.num_classes},).')
        per_class = self.per_class()
        present = (self.tp + self.fp + self.fn) > 0
        results = {}
        for name, subset in (('All', np.ones_like(thing_mask)), ('Things', thing_mask), ('Stuff', ~thing_mask)):
            selected = subset & present if class_mean == 'present' else subset
            n = int(selected.sum())
            if n == 0:
                warnings.warn(f'{context} {name}: no class to average (no ground-truth or predicted segment of '
                              f'any {name.lower()} class with class_mean={class_mean!r}); reporting 0.0 with n = 0.')
                results[name] = dict(pq=0.0, sq=0.0, rq=0.0, n=0)
                continue
            results[name] = {key: float(per_class[key][selected].mean()) for key in ('pq', 'sq', 'rq')}
            results[name]['n'] = n
        results['per_class'] = per_class
        return results


def match_segments(histogram: SegmentHistogram, num_classes: int, crowd_rule: bool = True) -> PanopticStats:
    """Match the segments of one image, or the tubes of one window of stacked frames.

    Args:
        histogram (SegmentHistogram): pair counts of the image/window. A segment's class and crowd
            flag are taken from its first entry (for a window: the first frame where it occurs).
        num_classes (int): number of classes C; labels must be in [-1, C).
        crowd_rule (bool): apply the panopticapi crowd rule (convention A). If False, crowd-flagged
            ground truth is an ordinary segment (convention B / STEP). Defaults to True.

    Returns:
        PanopticStats: the image's (window's) statistics.
    """
    stats = PanopticStats(num_classes)
    if histogram.count.size == 0:
        return stats
    for side, labels in (('ground-truth', histogram.gt_label), ('predicted', histogram.pred_label)):
        if labels.min() < -1 or labels.max() >= num_classes:
            raise ValueError(f'A {side} label is outside [-1, {num_classes}): min {labels.min()}, '
                             f'max {labels.max()}.')
    count = histogram.count.astype(np.float64)
    _, gt_first, gt_index = np.unique(histogram.gt_id, return_index=True, return_inverse=True)
    _, pred_first, pred_index = np.unique(histogram.pred_id, return_index=True, return_inverse=True)
    gt_index, pred_index = gt_index.reshape(-1), pred_index.reshape(-1)
    gt_label = histogram.gt_label[gt_first]
    gt_crowd = histogram.gt_crowd[gt_first] if crowd_rule else np.zeros(len(gt_first), bool)
    pred_label = histogram.pred_label[pred_first]
    num_gt, num_pred = len(gt_first), len(pred_first)
    gt_area = np.bincount(gt_index, weights=count, minlength=num_gt)
    pred_area = np.bincount(pred_index, weights=count, minlength=num_pred)

    pair_keys, pair_index = np.unique(gt_index * num_pred + pred_index, return_inverse=True)
    intersection = np.bincount(pair_index.reshape(-1), weights=count, minlength=len(pair_keys))
    pair_gt, pair_pred = np.divmod(pair_keys, num_pred)

    gt_void = gt_label < 0
    pred_void = pred_label < 0
    on_void = gt_void[pair_gt]
    void_overlap = np.bincount(pair_pred[on_void], weights=intersection[on_void], minlength=num_pred)
    same_class = gt_label[pair_gt] == pred_label[pair_pred]
    on_crowd = gt_crowd[pair_gt] & same_class
    crowd_overlap = np.bincount(pair_pred[on_crowd], weights=intersection[on_crowd], minlength=num_pred)

    candidate = same_class & ~gt_void[pair_gt] & ~gt_crowd[pair_gt] & ~pred_void[pair_pred]
    union = gt_area[pair_gt] + pred_area[pair_pred] - intersection - void_overlap[pair_pred]
    iou = np.where(candidate, intersection / np.maximum(union, 1.0), 0.0)
    matched = candidate & (iou > 0.5)

    matched_labels = gt_label[pair_gt[matched]]
    stats.tp += np.bincount(matched_labels, minlength=num_classes)
    stats.iou += np.bincount(matched_labels, weights=iou[matched], minlength=num_classes)
    gt_matched = np.zeros(num_gt, bool)
    gt_matched[pair_gt[matched]] = True
    pred_matched = np.zeros(num_pred, bool)
    pred_matched[pair_pred[matched]] = True

    missed = ~gt_void & ~gt_crowd & ~gt_matched
    stats.fn += np.bincount(gt_label[missed], minlength=num_classes)
    ignored = (void_overlap + crowd_overlap) > 0.5 * pred_area
    false_positive = ~pred_void & ~pred_matched & ~ignored
    stats.fp += np.bincount(pred_label[false_positive], minlength=num_classes)
    return stats

