"""Latency of a model's whole ``test_step`` and of any callable, shared by the benchmark tools."""
import statistics
import time
from typing import Callable, List, Tuple

import torch

from .dummy_inputs import dummy_data


def times_ms(fn: Callable[[], object], device: str, warmup: int, iters: int) -> List[float]:
    """Wall times (ms) of ``iters`` calls of ``fn()`` after ``warmup`` untimed ones; CUDA is synchronised
    around every call."""
    cuda = str(device).startswith('cuda')
    times = []
    for i in range(warmup + iters):
        if cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if cuda:
            torch.cuda.synchronize()
        if i >= warmup:
            times.append((time.perf_counter() - start) * 1000)
    return times


def time_ms(fn: Callable[[], object], device: str, warmup: int, iters: int) -> float:
    """Median wall time (ms) of ``fn()``, see :func:`times_ms`."""
    return statistics.median(times_ms(fn, device, warmup, iters))


def benchmark_test_step(model, shape: Tuple[int, int], device: str, precision: str, warmup: int, iters: int) -> dict:
    """Median/mean latency (ms) and FPS of ``model.test_step`` on one random image of ``shape`` (H, W).

    Args:
        model: a built model on ``device``, in eval mode.
        shape (tuple): (H, W).
        device (str): ``'cpu'`` or ``'cuda[:i]'``.
        precision (str): ``'fp32'``, ``'bf16'`` (autocast) or ``'fp16'`` (autocast, CUDA only).
        warmup (int): untimed iterations first.
        iters (int): timed iterations.
    """
    h, w = shape
    data = dummy_data(shape)
    dtype = {'fp16': torch.float16, 'bf16': torch.bfloat16}.get(precision)
    device_type = 'cuda' if str(device).startswith('cuda') else 'cpu'
    if precision == 'fp16' and device_type == 'cpu':
        raise ValueError('fp16 autocast needs CUDA; use --precision bf16 on CPU')

    def step():
        with torch.no_grad(), torch.autocast(device_type, dtype=dtype, enabled=dtype is not None):
            model.test_step(data)

    times = times_ms(step, device, warmup, iters)
    median = statistics.median(times)
    return dict(latency_ms_median=median, latency_ms_mean=statistics.mean(times), fps=1000.0 / median,
                iters=iters, shape=[h, w], precision=precision, device=str(device),
                device_name=torch.cuda.get_device_name(device) if device_type == 'cuda' else 'cpu',
                threads=torch.get_num_threads())
