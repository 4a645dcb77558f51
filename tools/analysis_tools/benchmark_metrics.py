"""Time PQ, VPQ and STQ on generated video panoptic data of realistic size.

Generates one sequence (default 100 frames of 375 x 1242, KITTI-STEP size) with stuff bands and a few
dozen moving thing tracks, and a prediction with shifted boundaries, id switches and false segments,
then prints frames per second of: the per-frame joint histogram (the only pixel-level work, shared by
all metrics), and PQ, VPQ (windows 1-4) and STQ end to end (histogram included), without PNG decoding.
Finally it writes the ground truth as STEP PNGs and times the metrics' per-frame work (PNG decoding and
histogram, :class:`~mmpanoptic.evaluation.functional.WorkerPool`) with 1 and with ``--nproc`` processes.
Example::

    python tools/analysis_tools/benchmark_metrics.py --frames 100 --height 375 --width 1242 --things 40 --nproc 4
"""
import argparse
import os.path as osp
import tempfile
import time

from mmpanoptic.cli import main_with_clear_errors

NUM_CLASSES = 19
THINGS = (11, 13)


def generate(num_frames: int, height: int, width: int, num_things: int, seed: int = 0):
    """Ground truth and prediction maps in the prediction encoding ``label + track * 1000``.

    Returns:
        tuple: ``gt`` and ``pred`` int64 arrays of shape (T, H, W); ground-truth void is NUM_CLASSES.
    """
    import numpy as np
    rng = np.random.default_rng(seed)
    rows = np.arange(height)[:, None]
    cols = np.arange(width)[None, :]
    band_edges = np.sort(rng.integers(0, height, 10))
    stuff = np.searchsorted(band_edges, rows).repeat(width, 1) % 11
    starts = rng.integers(0, [height, width], size=(num_things, 2)).astype(float)
    sizes = rng.integers([20, 30], [120, 200], size=(num_things, 2))
    velocity = rng.normal(0, 4, size=(num_things, 2))
    classes = rng.choice(THINGS, num_things)
    gt, pred = [], []
    for t in range(num_frames):
        frame = stuff.copy()
        predicted = stuff.copy()
        predicted[(rows + 3 * np.sin(cols / 40.0 + t)).astype(int) % 37 == 0] = (stuff[0, 0] + 1) % 11
        for k in range(num_things):
            y, x = (starts[k] + velocity[k] * t).astype(int) % [height, width]
            box = (slice(y, y + sizes[k, 0]), slice(x, x + sizes[k, 1]))
            frame[box] = classes[k] + 1000 * (k + 1)
            shifted = (slice(y + 3, y + 3 + sizes[k, 0]), slice(x - 2 if x >= 2 else 0, x - 2 + sizes[k, 1]))
            track = k + 1 if (t // 25 + k) % 7 else k + 500  # occasional id switches
            predicted[shifted] = classes[k] + 1000 * track
        frame[rng.random((height, width)) < 0.01] = NUM_CLASSES  # sparse void
        gt.append(frame)
        pred.append(predicted)
    return np.stack(gt), np.stack(pred)


def time_worker_pool(gt, pred, nproc: int) -> float:
    """Seconds to decode the ground-truth PNGs and build every histogram with a :class:`WorkerPool`.

    Args:
        gt (np.ndarray): (T, H, W) ground truth of :func:`generate`.
        pred (np.ndarray): (T, H, W) prediction of :func:`generate`.
        nproc (int): worker processes.
    """
    import numpy as np
    from PIL import Image

    from mmpanoptic.evaluation.functional import StepPanopticPNG, WorkerPool, prediction_histogram
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for t, frame in enumerate(gt):
            label, track = frame % 1000, frame // 1000
            label = np.where(label == NUM_CLASSES, 255, label)
            paths.append(osp.join(folder, f'{t:06d}.png'))
            Image.fromarray(np.stack([label, track >> 8, track & 255], -1).astype(np.uint8)).save(paths[-1])
        pool = WorkerPool(prediction_histogram, nproc)
        results = [dict() for _ in paths]
        start = time.perf_counter()
        for result, path, frame in zip(results, paths, pred):
            pool.submit(result, 'histogram', StepPanopticPNG(path, NUM_CLASSES, THINGS), frame, NUM_CLASSES, path)
        pool.collect()
        return time.perf_counter() - start


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Benchmark the PQ / VPQ / STQ implementations.')
    parser.add_argument('--frames', type=int, default=100)
    parser.add_argument('--height', type=int, default=375)
    parser.add_argument('--width', type=int, default=1242)
    parser.add_argument('--things', type=int, default=40, help='number of thing tracks')
    parser.add_argument('--nproc', type=int, default=4, help='worker processes of the metrics (default 4)')
    return parser.parse_args(argv)


@main_with_clear_errors
def main(argv=None) -> None:
    args = parse_args(argv)
    import numpy as np

    from mmpanoptic.evaluation.functional import (STQAccumulator, match_segments, prediction_lookup,
                                                  segment_histogram, usable_processes, vpq_stats)
    gt, pred = generate(args.frames, args.height, args.width, args.things)
    gt_segments = np.mean([len(np.unique(frame)) for frame in gt[:10]])
    print(f'{args.frames} frames of {args.height}x{args.width}, ~{gt_segments:.0f} ground-truth segments per frame')

    lookup = prediction_lookup(NUM_CLASSES, 'benchmark')
    start = time.perf_counter()
    histograms = [segment_histogram(g, p, lookup, lookup) for g, p in zip(gt, pred)]
    t_hist = time.perf_counter() - start

    start = time.perf_counter()
    for histogram in histograms:
        match_segments(histogram, NUM_CLASSES)
    t_pq = time.perf_counter() - start

    start = time.perf_counter()
    vpq_stats([histograms], (1, 2, 3, 4), NUM_CLASSES, crowd_rule=False)
    t_vpq = time.perf_counter() - start

    start = time.perf_counter()
    accumulator = STQAccumulator(NUM_CLASSES, THINGS)
    accumulator.add_sequence('seq', histograms)
    accumulator.result()
    t_stq = time.perf_counter() - start

    n = args.frames
    print(f'joint histogram (shared): {n / t_hist:8.1f} frames/s')
    print(f'PQ  (end to end):         {n / (t_hist + t_pq):8.1f} frames/s  (matching alone {n / t_pq:.0f})')
    print(f'VPQ windows 1-4 (e2e):    {n / (t_hist + t_vpq):8.1f} frames/s  (windows alone {n / t_vpq:.0f})')
    print(f'STQ (end to end):         {n / (t_hist + t_stq):8.1f} frames/s  (accumulation alone {n / t_stq:.0f})')

    t_one = time_worker_pool(gt, pred, 1)
    t_many = time_worker_pool(gt, pred, args.nproc)
    used = usable_processes(args.nproc)
    print(f'metric per-frame work (PNG decode + histogram), 1 process:  {n / t_one:8.1f} frames/s')
    print(f'metric per-frame work, nproc={args.nproc} ({used} usable):    {n / t_many:8.1f} frames/s  '
          f'(x{t_one / t_many:.2f})')


if __name__ == '__main__':
    main()
