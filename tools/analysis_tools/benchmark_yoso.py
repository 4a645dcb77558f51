"""YOSO speed benchmarks: aggregators, attention modules and whole models (vs mmdet's Mask2Former).

``python tools/analysis_tools/benchmark_yoso.py [--parts aggregator attention model] [--device cpu|cuda]``

* ``aggregator``: latency and multiply-accumulates of :class:`YOSONeck`'s IFA and CFA aggregation alone at
  the paper's ablation setting (Table 5: P2..P5 with 128/256/512/1024 channels, P2 at 256x256, output 128
  channels, batch 1).
* ``attention``: latency of SDCA, MHCA, DCA, PDCA and DDCA alone (Table 6: n = 100, d = 256, t = 3,
  batch 1).
* ``model``: latency and FPS of YOSO-R50 and mmdet's Mask2Former-R50 (random weights, batch 1) at the same
  inputs, in one run: the network alone and the whole ``test_step`` with the panoptic merge; default
  inputs are the paper's COCO scales (800x1333 and 512x800).

Every number is the median over ``--iters`` runs after ``--warmup`` runs; CUDA is synchronised around
every measurement. Results are printed as a Markdown table (and written as JSON with ``--out``).
"""
import argparse
import json
import os.path as osp
import statistics
import time
from typing import Callable, Dict, List

from mmpanoptic.cli import load_config, main_with_clear_errors
from mmpanoptic.errors import UserError

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
YOSO_CONFIG = osp.join(REPO, 'configs', 'yoso', 'yoso_r50_4xb4-368k_coco-panoptic.py')


def mask2former_config() -> str:
    """mmdet's Mask2Former-R50 COCO panoptic config, as installed with mmdet."""
    import mmdet
    return osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs', 'mask2former',
                    'mask2former_r50_8xb2-lsj-50e_coco-panoptic.py')


def time_fn(fn: Callable[[], object], device: str, warmup: int, iters: int) -> float:
    """Median wall time of ``fn()`` in microseconds."""
    import torch
    times = []
    for i in range(warmup + iters):
        if device.startswith('cuda'):
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.startswith('cuda'):
            torch.cuda.synchronize()
        if i >= warmup:
            times.append((time.perf_counter() - start) * 1e6)
    return statistics.median(times)


def count_mmacs(fn: Callable[[], object]) -> float:
    """Multiply-accumulates (millions) of the convolutions and matrix products run by ``fn`` (interpolation and
    element-wise operations are not counted)."""
    from torch.utils.flop_counter import FlopCounterMode
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops() / 2e6


def bench_aggregators(device: str, warmup: int, iters: int, size: int = 256) -> List[Dict]:
    """Latency and MMACs of :class:`YOSONeck`'s IFA and CFA aggregation alone (one row each)."""
    import torch

    from mmpanoptic.models.necks import YOSONeck
    rows = []
    lateral = (128, 256, 512, 1024)
    levels = [torch.randn(1, c, size // s, size // s, device=device) for c, s in zip(lateral[::-1], (8, 4, 2, 1))]
    for aggregation in ('ifa', 'cfa'):
        neck = YOSONeck(in_channels=[2 * c for c in lateral], agg_channels=128, aggregation=aggregation)
        neck = neck.to(device).eval()
        with torch.no_grad():
            latency = time_fn(lambda: neck.aggregate(levels), device, warmup, iters)
            mmacs = count_mmacs(lambda: neck.aggregate(levels))
        rows.append(dict(part='aggregator', module=aggregation.upper(), latency_us=latency, mmacs=mmacs,
                         setting=f'P2..P5 = 128/256/512/1024 ch, P2 {size}x{size}, out 128 ch'))
    return rows


def bench_attention(device: str, warmup: int, iters: int, num_proposals: int = 100, dims: int = 256,
                    kernel_size: int = 3) -> List[Dict]:
    """Latency and MMACs of each attention module alone on (1, n, d) queries and values (one row each)."""
    import torch

    from mmpanoptic.models.layers import (DepthwiseDynamicConvAttention, DynamicConvAttention,
                                          MultiheadCrossAttention, PointwiseDynamicConvAttention,
                                          SeparableDynamicConvAttention)
    rows = []
    query = torch.randn(1, num_proposals, dims, device=device)
    value = torch.randn(1, num_proposals, dims, device=device)
    modules = dict(
        MHCA=MultiheadCrossAttention(dims, num_heads=8, num_proposals=num_proposals),
        DCA=DynamicConvAttention(dims, num_proposals, kernel_size),
        SDCA=SeparableDynamicConvAttention(dims, num_proposals, kernel_size),
        PDCA=PointwiseDynamicConvAttention(dims, num_proposals, kernel_size),
        DDCA=DepthwiseDynamicConvAttention(dims, num_proposals, kernel_size))
    for name, module in modules.items():
        module = module.to(device).eval()
        with torch.no_grad():
            latency = time_fn(lambda: module(query, value), device, warmup, iters)
            mmacs = count_mmacs(lambda: module(query, value))
        rows.append(dict(part='attention', module=name, latency_us=latency, mmacs=mmacs,
                         setting=f'n={num_proposals}, d={dims}, t={kernel_size}'))
    return rows


def bench_models(device: str, warmup: int, iters: int, shapes: List[List[int]]) -> List[Dict]:
    """Two timings per model and input: ``network`` (preprocessing, backbone, neck or pixel decoder and head
    up to the mask/class logits) and ``test_step`` (everything, including the panoptic and instance
    post-processing). With random weights the number of queries kept by the merge is not that of a trained
    model, so ``network`` is the like-for-like comparison."""
    import torch

    from mmpanoptic.registry import MODELS
    from mmpanoptic.utils.benchmark import benchmark_test_step
    from mmpanoptic.utils.dummy_inputs import dummy_data
    rows = []
    for name, config in (('YOSO-R50', YOSO_CONFIG), ('Mask2Former-R50 (mmdet)', mask2former_config())):
        cfg = load_config(config)
        cfg.model.backbone.init_cfg = None
        model = MODELS.build(cfg.model).to(device).eval()
        for shape in shapes:
            data = model.data_preprocessor(dummy_data(tuple(shape)), False)

            def network(model=model, data=data):
                with torch.no_grad():
                    return model.panoptic_head(model.extract_feat(data['inputs']), data['data_samples'])

            latency = time_fn(network, device, warmup, iters)
            rows.append(dict(part='model', module=f'{name} network', latency_us=latency, fps=1e6 / latency,
                             setting=f'{shape[0]}x{shape[1]}'))
            result = benchmark_test_step(model, tuple(shape), device, 'fp32', warmup, iters)
            rows.append(dict(part='model', module=f'{name} test_step', latency_us=result['latency_ms_median'] * 1000,
                             fps=result['fps'], setting=f'{shape[0]}x{shape[1]}'))
        del model
    return rows


def device_name(device: str) -> str:
    """The GPU's name, or the CPU's with the number of torch threads."""
    import torch
    if device.startswith('cuda'):
        return torch.cuda.get_device_name(device)
    import platform
    return f'CPU {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='YOSO module and model speed benchmarks')
    parser.add_argument('--parts', nargs='+', choices=['aggregator', 'attention', 'model'],
                        default=['aggregator', 'attention', 'model'])
    parser.add_argument('--device', help='cpu, cuda or cuda:N (default: cuda if available, else cpu)')
    parser.add_argument('--threads', type=int, help='torch CPU threads (default: torch\'s)')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--model-iters', type=int, default=5, help='timed runs per whole model and shape')
    parser.add_argument('--shapes', type=int, nargs='+', default=[800, 1333, 512, 800],
                        help='H W pairs of the whole-model inputs')
    parser.add_argument('--out', help='write the rows as JSON to this file')
    args = parser.parse_args(argv)
    if len(args.shapes) % 2:
        raise UserError(f'--shapes: takes H W pairs, got {args.shapes} (give an even number of values)')
    return args


@main_with_clear_errors
def main(argv=None):
    args = parse_args(argv)
    import torch

    from mmpanoptic.utils import register_all_modules
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if args.threads:
        torch.set_num_threads(args.threads)
    register_all_modules()
    torch.manual_seed(0)
    rows = []
    if 'aggregator' in args.parts:
        rows += bench_aggregators(device, args.warmup, args.iters)
    if 'attention' in args.parts:
        rows += bench_attention(device, args.warmup, args.iters)
    if 'model' in args.parts:
        shapes = [args.shapes[i:i + 2] for i in range(0, len(args.shapes), 2)]
        rows += bench_models(device, 1, args.model_iters, shapes)
    print(f'device: {device_name(device)}')
    print('| part | module | setting | latency (us) | MMACs | FPS |')
    print('| --- | --- | --- | --- | --- | --- |')
    for row in rows:
        mmacs = f'{row["mmacs"]:.1f}' if 'mmacs' in row else '-'
        fps = f'{row["fps"]:.2f}' if 'fps' in row else '-'
        print(f'| {row["part"]} | {row["module"]} | {row["setting"]} | {row["latency_us"]:.0f} | {mmacs} | {fps} |')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(device=device_name(device), rows=rows), f, indent=2)
    return rows


if __name__ == '__main__':
    main()
