"""Inference latency and FPS of a model: ``python tools/analysis_tools/benchmark.py CONFIG [CKPT]``.

Times the whole ``test_step`` (data preprocessing of a ready uint8 image, network and panoptic
post-processing) on random images of ``--shape``, on CPU or CUDA. ``--precision`` selects fp32, fp16
(autocast, CUDA) or bf16 (autocast, CPU or CUDA). Reports mean and median latency and FPS over
``--iters`` timed runs after ``--warmup`` runs; CUDA runs are synchronised before every clock read.
"""
import argparse
import json
import statistics
import time

import torch
from mmengine.config import DictAction
from mmengine.registry import MODELS
from mmengine.runner import load_checkpoint

from mmpanoptic.utils import load_config, main_with_clear_errors, register_all_modules
from mmpanoptic.utils.dummy_inputs import dummy_data


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Benchmark the inference speed of a model')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint (random weights without it)')
    parser.add_argument('--shape', type=int, nargs=2, default=[1024, 2048], metavar=('H', 'W'))
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--precision', choices=['fp32', 'fp16', 'bf16'], default='fp32')
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--iters', type=int, default=20)
    parser.add_argument('--threads', type=int, help='torch CPU threads (default: torch\'s)')
    parser.add_argument('--out', help='write the results as JSON to this file')
    parser.add_argument('--cfg-options', nargs='+', default=None,
                        action=DictAction, help='override settings in the config')
    return parser.parse_args(argv)


def benchmark(model, shape, device, precision, warmup, iters):
    """Median/mean latency (ms) and FPS of ``model.test_step`` on random ``shape`` images."""
    h, w = shape
    data = dummy_data(shape)
    dtype = {'fp16': torch.float16, 'bf16': torch.bfloat16}.get(precision)
    device_type = 'cuda' if str(device).startswith('cuda') else 'cpu'
    if precision == 'fp16' and device_type == 'cpu':
        raise ValueError('fp16 autocast needs CUDA; use --precision bf16 on CPU')
    times = []
    for i in range(warmup + iters):
        if device_type == 'cuda':
            torch.cuda.synchronize()
        start = time.perf_counter()
        with torch.no_grad(), torch.autocast(device_type, dtype=dtype, enabled=dtype is not None):
            model.test_step(data)
        if device_type == 'cuda':
            torch.cuda.synchronize()
        if i >= warmup:
            times.append((time.perf_counter() - start) * 1000)
    median = statistics.median(times)
    return dict(latency_ms_median=median, latency_ms_mean=statistics.mean(times), fps=1000.0 / median,
                iters=iters, shape=[h, w], precision=precision, device=str(device),
                device_name=torch.cuda.get_device_name(device) if device_type == 'cuda' else 'cpu',
                threads=torch.get_num_threads())


@main_with_clear_errors
def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    model = MODELS.build(cfg.model)
    if args.checkpoint:
        load_checkpoint(model, args.checkpoint, map_location='cpu')
    model = model.to(args.device).eval()
    result = benchmark(model, tuple(args.shape), args.device, args.precision, args.warmup, args.iters)
    print(f'{args.config} @ {result["shape"][0]}x{result["shape"][1]} {result["precision"]} on '
          f'{result["device_name"]} ({result["threads"]} threads): median {result["latency_ms_median"]:.1f} ms, '
          f'mean {result["latency_ms_mean"]:.1f} ms, {result["fps"]:.2f} FPS')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == '__main__':
    main()
