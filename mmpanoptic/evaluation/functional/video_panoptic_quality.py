"""Video panoptic quality (VPQ) over windows of annotated frames.

For a window length k, every run of k consecutive annotated frames of a sequence is one window; its
frames are stacked, each id is one tube, and tubes are matched with the PQ rules
(:func:`~mmpanoptic.evaluation.functional.panoptic_quality.match_segments`). Statistics are summed per
class over all windows of all sequences, ``VPQ_k`` is their class mean, and VPQ is the mean of ``VPQ_k``
over the window set (``shared/specs/metrics.md`` section 3).

Window sets of the benchmarks: Cityscapes-VPS k in {1, 2, 3, 4} (lambda = 0, 5, 10, 15 raw frames),
KITTI-STEP k in {1, 2, 3, 4}, VIPSeg k in {1, 2, 4, 6}.
"""
import warnings
from typing import Dict, Sequence, Tuple

import numpy as np

from .panoptic_quality import PanopticStats, match_segments
from .segment_histogram import SegmentHistogram

DATASET_WINDOWS = {
    'cityscapes-vps': (1, 2, 3, 4),
    'kitti-step': (1, 2, 3, 4),
    'vipseg': (1, 2, 4, 6),
}


def vpq_stats(sequences: Sequence[Sequence[SegmentHistogram]], windows: Sequence[int], num_classes: int,
              crowd_rule: bool = True) -> Tuple[Dict[int, PanopticStats], Dict[int, int]]:
    """Accumulate tube statistics over all windows of all sequences.

    Args:
        sequences (Sequence[Sequence[SegmentHistogram]]): for each sequence, the histograms of its
            annotated frames in temporal order. Ids must be consistent across the frames of a sequence.
        windows (Sequence[int]): window lengths k >= 1 (in annotated frames).
        num_classes (int): number of classes.
        crowd_rule (bool): convention A (panopticapi crowd rule) if True, convention B if False.

    Returns:
        tuple: ``stats`` {k: PanopticStats} and ``num_windows`` {k: number of windows}. A sequence
        shorter than k contributes no window for that k.
    """
    if len(windows) == 0 or any(int(k) < 1 for k in windows):
        raise ValueError(f'VPQ windows must be a non-empty list of lengths >= 1, got {list(windows)}.')
    stats = {int(k): PanopticStats(num_classes) for k in windows}
    num_windows = {int(k): 0 for k in windows}
    for frames in sequences:
        for k in stats:
            for start in range(len(frames) - k + 1):
                window = SegmentHistogram.concatenate(frames[start:start + k])
                stats[k] += match_segments(window, num_classes, crowd_rule)
                num_windows[k] += 1
    return stats, num_windows


def summarize_vpq(stats: Dict[int, PanopticStats], num_windows: Dict[int, int], thing_mask: np.ndarray,
                  class_mean: str = 'present') -> dict:
    """VPQ, VPQ_th, VPQ_st (means over windows) and the per-window class means.

    Args:
        stats (dict): {k: PanopticStats} from :func:`vpq_stats`.
        num_windows (dict): {k: number of windows} from :func:`vpq_stats`.
        thing_mask (np.ndarray): bool (C,), True for thing classes.
        class_mean (str): ``'present'`` (default, panopticapi) or ``'all'`` (STEP scripts).

    Returns:
        dict: ``VPQ``, ``VPQ_th``, ``VPQ_st`` (fractions) and ``per_window`` {k: summary of
        :meth:`PanopticStats.summary` plus ``num_windows``}. A window length that no sequence reaches
        has VPQ_k = 0 (n = 0) and is reported with a warning; it still enters the mean over windows.
    """
    per_window = {}
    for k, window_stats in stats.items():
        if num_windows[k] == 0:
            warnings.warn(f'VPQ window k={k}: no sequence has {k} annotated frames, so there is no window of '
                          f'this length; VPQ_{k} = 0.0 (n = 0) enters the mean over windows.')
        summary = window_stats.summary(thing_mask, class_mean, context=f'VPQ_{k}')
        summary['num_windows'] = num_windows[k]
        per_window[k] = summary
    results = {}
    for key, subset in (('VPQ', 'All'), ('VPQ_th', 'Things'), ('VPQ_st', 'Stuff')):
        results[key] = float(np.mean([per_window[k][subset]['pq'] for k in per_window]))
    results['per_window'] = per_window
    return results
