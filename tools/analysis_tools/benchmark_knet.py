"""Latency/FPS of K-Net R-50 and RT-K-Net, and of the iterative vs parallel panoptic post-processing.

``python tools/analysis_tools/benchmark_knet.py [--shapes 1024 2048 512 1024] [--precisions fp32 bf16]``

* Models (random weights, Cityscapes classes, the Cityscapes configs of both methods, SyncBN turned into
  BN): the whole ``test_step`` (preprocessing, network, post-processing) timed by ``benchmark.py``'s
  :func:`benchmark` for every shape and precision (fp32; bf16 autocast on CPU; fp16 autocast on CUDA).
* Post-processing: :func:`merge_panoptic_iterative` vs :func:`merge_panoptic_parallel` on ``--kernels``
  random masks of each shape, made like a trained model's: a random partition of the stride-8 grid into
  ``--kernels`` cells (nearest random seed), logits +4 inside a kernel's cell and -4 outside plus N(0, 1)
  noise, upsampled bilinearly, sigmoid; scores uniform, labels uniform over the Cityscapes classes.

Prints a Markdown table (the one in ``configs/rtknet/README.md``) and writes JSON with ``--out``.
"""
import argparse
import json
import os.path as osp
import statistics
import time

from mmpanoptic.cli import load_config, main_with_clear_errors
from mmpanoptic.errors import UserError

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MODEL_CONFIGS = {
    'K-Net R-50': 'configs/knet/knet_s3_r50_fpn_90k_cityscapes-panoptic.py',
    'RT-K-Net': 'configs/rtknet/rtknet_rtformer-b_4xb8-90k_cityscapes-panoptic.py',
}


def benchmark_merge(num_kernels, shape, device, warmup, iters, num_things=8, num_classes=19, seed=0):
    """Median latency (ms) of both merges on random inputs; also checks they agree on the partition."""
    import torch
    import torch.nn.functional as F

    from mmpanoptic.models.post_processing import merge_panoptic_iterative, merge_panoptic_parallel
    gen = torch.Generator().manual_seed(seed)
    h, w = shape[0] // 8, shape[1] // 8
    seeds = torch.rand((num_kernels, 2), generator=gen) * torch.tensor([h, w])
    grid = torch.stack(torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij'), -1).float()
    cells = torch.cdist(grid.view(-1, 2), seeds).argmin(1).view(h, w)
    inside = cells[None] == torch.arange(num_kernels).view(-1, 1, 1)
    logits = torch.where(inside, 4.0, -4.0) + torch.randn((num_kernels, h, w), generator=gen)
    masks = F.interpolate(logits[None], shape, mode='bilinear', align_corners=False)[0].sigmoid().to(device)
    scores = torch.rand(num_kernels, generator=gen).to(device)
    labels = torch.randint(0, num_classes, (num_kernels, ), generator=gen).to(device)
    eligible = torch.ones(num_kernels, dtype=torch.bool, device=device)
    result = {}
    outputs = {}
    for name, merge in (('iterative', merge_panoptic_iterative), ('parallel', merge_panoptic_parallel)):
        times = []
        for i in range(warmup + iters):
            if device.startswith('cuda'):
                torch.cuda.synchronize()
            start = time.perf_counter()
            outputs[name] = merge(masks, scores, labels, eligible, num_things, num_classes, 0.6).panoptic
            if device.startswith('cuda'):
                torch.cuda.synchronize()
            if i >= warmup:
                times.append((time.perf_counter() - start) * 1000)
        result[name] = statistics.median(times)
    same_labels = torch.equal(outputs['iterative'] % 1000, outputs['parallel'] % 1000)
    num_segments = len(outputs['parallel'].unique())
    return dict(result, kernels=num_kernels, shape=list(shape), same_labels=same_labels, segments=num_segments)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Benchmark K-Net / RT-K-Net and their post-processing')
    parser.add_argument('--shapes', type=int, nargs='+', default=[1024, 2048, 512, 1024], help='H W pairs')
    parser.add_argument('--precisions', nargs='+', default=None,
                        help='default: fp32 and bf16 on CPU, fp32 and fp16 on CUDA')
    parser.add_argument('--models', nargs='+', default=list(MODEL_CONFIGS), choices=list(MODEL_CONFIGS))
    parser.add_argument('--device', help='cpu, cuda or cuda:N (default: cuda if available, else cpu)')
    parser.add_argument('--kernels', type=int, default=100, help='kernels of the post-processing benchmark')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument('--threads', type=int, help='torch CPU threads')
    parser.add_argument('--skip-models', action='store_true', help='only the post-processing benchmark')
    parser.add_argument('--out', help='JSON output file')
    args = parser.parse_args(argv)
    if len(args.shapes) % 2:
        raise UserError(f'--shapes: takes H W pairs, got {args.shapes} (give an even number of values)')
    return args


@main_with_clear_errors
def main(argv=None):
    args = parse_args(argv)
    import torch
    from mmengine.model import revert_sync_batchnorm

    from mmpanoptic.registry import MODELS
    from mmpanoptic.utils import register_all_modules
    from mmpanoptic.utils.benchmark import benchmark_test_step
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if args.threads:
        torch.set_num_threads(args.threads)
    shapes = [tuple(args.shapes[i:i + 2]) for i in range(0, len(args.shapes), 2)]
    precisions = args.precisions or (['fp32', 'fp16'] if device.startswith('cuda') else ['fp32', 'bf16'])
    device_name = torch.cuda.get_device_name(device) if device.startswith('cuda') else 'CPU'
    register_all_modules()
    results = dict(device=device_name, threads=torch.get_num_threads(), models=[], post_processing=[])
    rows = ['| what | input | precision | latency (ms) | FPS | device |', '|---|---|---|---|---|---|']
    if not args.skip_models:
        for name in args.models:
            cfg = load_config(osp.join(ROOT, MODEL_CONFIGS[name]))
            cfg.model.backbone.init_cfg = None
            model = revert_sync_batchnorm(MODELS.build(cfg.model)).to(device).eval()
            for shape in shapes:
                for precision in precisions:
                    res = benchmark_test_step(model, shape, device, precision, args.warmup, args.iters)
                    res['model'] = name
                    results['models'].append(res)
                    rows.append(f'| {name} | {shape[0]}x{shape[1]} | {precision} | {res["latency_ms_median"]:.0f} | '
                                f'{res["fps"]:.2f} | {device_name}, {results["threads"]} threads |')
                    print(rows[-1], flush=True)
    for shape in shapes:
        res = benchmark_merge(args.kernels, shape, device, args.warmup, args.iters)
        results['post_processing'].append(res)
        for name in ('iterative', 'parallel'):
            rows.append(f'| post-processing {name}, {args.kernels} kernels | {shape[0]}x{shape[1]} | fp32 | '
                        f'{res[name]:.1f} | {1000 / res[name]:.1f} | {device_name}, {results["threads"]} threads |')
            print(rows[-1], flush=True)
    print('\n'.join(rows))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == '__main__':
    main()
