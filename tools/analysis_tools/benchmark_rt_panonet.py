"""RT-PanoNet speed and memory: whole ``test_step`` next to RT-K-Net and YOSO in one run, and the mask
construction alone.

``python tools/analysis_tools/benchmark_rt_panonet.py [--parts model masks] [--device cpu|cuda]``

* ``model``: the whole ``test_step`` (preprocessing, network, mask construction, panoptic fusion) of
  RT-PanoNet R-50, RT-K-Net (RTFormer-B) and YOSO R-50 (their Cityscapes configs, random weights, batch 1)
  at ``--shapes`` (default 1024x2048 and 512x1024), fp32, and fp16 autocast on CUDA. With random weights
  the number of detections kept is not that of a trained model; the RT-PanoNet rows are therefore also
  given with ``--queries`` forced detections (the score threshold at 0 keeps the top ``max_per_img``).
* ``masks``: the mask construction alone at the first shape: the dense box map and the mask scores of
  ``--queries`` queries at /4, then also the x4 upsampling and threshold of all of them (inference only
  upsamples the queries it pastes); with the peak memory each allocates, from CUDA's allocator on a GPU and
  from the torch profiler's allocation records on the CPU.

Every number is the median over ``--iters`` runs after ``--warmup``; CUDA is synchronised around each run.
Results are printed as a Markdown table (and written as JSON with ``--out``).
"""
import argparse
import json
import os.path as osp
from typing import Dict, List

from mmpanoptic.cli import load_config, main_with_clear_errors
from mmpanoptic.errors import UserError

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = {
    'RT-PanoNet R-50': 'configs/rt_panonet/rt-panonet_r50_fpn_8xb1-48k_cityscapes-panoptic.py',
    'RT-K-Net RTFormer-B': 'configs/rtknet/rtknet_rtformer-b_4xb8-90k_cityscapes-panoptic.py',
    'YOSO R-50': 'configs/yoso/yoso_r50_4xb4-180k_cityscapes-panoptic.py',
}


def _model(config: str, device: str, **test_cfg):
    from mmpanoptic.registry import MODELS
    cfg = load_config(osp.join(REPO, config))
    if cfg.model.get('backbone', {}).get('init_cfg'):
        cfg.model.backbone.init_cfg = None
    cfg.model.test_cfg.update(test_cfg)
    return MODELS.build(cfg.model).to(device).eval()


def bench_models(device: str, warmup: int, iters: int, shapes: List[List[int]], queries: int) -> List[Dict]:
    """``test_step`` latency of every model of :data:`CONFIGS` at every shape and precision."""
    import torch

    from mmpanoptic.utils.benchmark import benchmark_test_step
    precisions = ['fp32', 'fp16'] if device.startswith('cuda') else ['fp32']
    variants = [(name, config, {}) for name, config in CONFIGS.items()]
    variants.insert(1, (f'RT-PanoNet R-50, {queries} queries', CONFIGS['RT-PanoNet R-50'],
                        dict(score_thr=0.0, max_per_img=queries, instance_score_thr=0.0)))
    rows = []
    for name, config, test_cfg in variants:
        model = _model(config, device, **test_cfg)
        for shape in shapes:
            for precision in precisions:
                result = benchmark_test_step(model, tuple(shape), device, precision, warmup, iters)
                rows.append(dict(part='test_step', module=name, setting=f'{shape[0]}x{shape[1]} {precision}',
                                 latency_ms=result['latency_ms_median'], fps=result['fps']))
        del model
        if device.startswith('cuda'):
            torch.cuda.empty_cache()
    return rows


def mask_construction(model, shape, device: str, queries: int, full_resolution: bool):
    """A closure running the mask construction of ``queries`` queries on random head outputs of ``shape``:
    the dense box map and the mask scores at /4, and with ``full_resolution`` the x4 upsampling and the
    threshold of every query's scores too."""
    import torch

    from mmpanoptic.models.post_processing import QueryBoxes, dense_box_map, query_mask_scores, upsample_masks
    head = model.panoptic_head
    h, w = shape
    grid = (h // 4, w // 4)
    generator = torch.Generator().manual_seed(0)
    box_reg = [torch.rand(1, 4, h // s, w // s, generator=generator).mul(64).to(device) for s in head.strides]
    levelness = torch.randn(1, head.num_levels + 1, *grid, generator=generator).to(device)
    probs = torch.rand(head.num_things_classes, *grid, generator=generator).to(device)
    xy = torch.rand(queries, 2, generator=generator) * torch.tensor([w, h])
    labels = torch.randint(0, head.num_things_classes, (queries, ), generator=generator)
    q = QueryBoxes(torch.cat([xy, xy + 50], dim=1).to(device), torch.rand(queries, generator=generator).to(device),
                   labels.to(device), torch.zeros(queries, dtype=torch.long, device=device))

    def run():
        with torch.no_grad():
            dense = dense_box_map(box_reg, levelness, grid, head.strides[0] // 2)
            scores = query_mask_scores(q, dense[0], probs, 'smoothed_giou')
            return upsample_masks(scores, shape, shape, mask_thr=0.4) if full_resolution else scores
    return run


def peak_memory_mb(run, device: str) -> float:
    """Peak memory that ``run()`` allocates beyond what exists before: CUDA's allocator peak, or on the CPU
    the largest running sum of the allocations and frees the torch profiler records, in time order."""
    import torch
    if device.startswith('cuda'):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        run()
        torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated(device) - base) / 2**20
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        run()
    events = sorted((e for e in prof.events() if e.cpu_memory_usage), key=lambda e: e.time_range.start)
    running = peak = 0
    for event in events:
        if event.cpu_parent is None or not event.cpu_parent.cpu_memory_usage:
            running += event.cpu_memory_usage
            peak = max(peak, running)
    return peak / 2**20


def bench_masks(device: str, warmup: int, iters: int, shape, queries: int) -> List[Dict]:
    """Latency and peak memory of the mask construction of ``queries`` queries, at /4 and with the full
    resolution masks."""
    from mmpanoptic.utils.benchmark import time_ms
    model = _model(CONFIGS['RT-PanoNet R-50'], device)
    h, w = shape
    rows = []
    for full, what in ((False, 'mask scores at /4 (dense box map, M)'), (True, '+ x4 upsampling, threshold')):
        run = mask_construction(model, tuple(shape), device, queries, full)
        latency = time_ms(run, device, warmup, iters)
        rows.append(dict(part='masks', module=f'{what}, {queries} queries', setting=f'{h}x{w}', latency_ms=latency,
                         fps=1000 / latency, peak_mb=peak_memory_mb(run, device),
                         scores_mb=queries * (h // 4) * (w // 4) * 4 / 2**20))
    return rows


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='RT-PanoNet speed and memory vs RT-K-Net and YOSO')
    parser.add_argument('--parts', nargs='+', choices=['model', 'masks'], default=['model', 'masks'])
    parser.add_argument('--device', help='cpu, cuda or cuda:N (default: cuda if available, else cpu)')
    parser.add_argument('--threads', type=int, help='torch CPU threads (default: torch\'s)')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument('--queries', type=int, default=100)
    parser.add_argument('--shapes', type=int, nargs='+', default=[1024, 2048, 512, 1024],
                        help='H W pairs (multiples of 128)')
    parser.add_argument('--out', help='write the rows as JSON to this file')
    args = parser.parse_args(argv)
    if len(args.shapes) % 2:
        raise UserError(f'--shapes: takes H W pairs, got {args.shapes} (give an even number of values)')
    if any(s % 128 for s in args.shapes):
        raise UserError(f'--shapes: {args.shapes} has a size that is not a multiple of 128 (RT-PanoNet pads to '
                        '128; give padded sizes)')
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
    shapes = [args.shapes[i:i + 2] for i in range(0, len(args.shapes), 2)]
    rows = []
    if 'masks' in args.parts:
        rows += bench_masks(device, args.warmup, args.iters, shapes[0], args.queries)
    if 'model' in args.parts:
        rows += bench_models(device, args.warmup, args.iters, shapes, args.queries)
    name = torch.cuda.get_device_name(device) if device.startswith('cuda') else \
        f'CPU, {torch.get_num_threads()} torch threads'
    print(f'device: {name}')
    print('| part | module | setting | latency (ms) | FPS | peak memory (MB) |')
    print('| --- | --- | --- | --- | --- | --- |')
    for row in rows:
        peak = f'{row["peak_mb"]:.0f} (mask scores alone {row["scores_mb"]:.0f})' if 'peak_mb' in row else '-'
        print(f'| {row["part"]} | {row["module"]} | {row["setting"]} | {row["latency_ms"]:.1f} | {row["fps"]:.2f} | '
              f'{peak} |')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(device=name, rows=rows), f, indent=2)
    return rows


if __name__ == '__main__':
    main()
