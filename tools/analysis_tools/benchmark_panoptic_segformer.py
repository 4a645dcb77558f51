"""Panoptic SegFormer speed: the whole model against mmdet's Mask2Former and Deformable DETR, and its merge.

``python tools/analysis_tools/benchmark_panoptic_segformer.py [--shape 800 1333] [--precisions fp32 bf16]``

* ``model``: latency and FPS of the whole ``test_step`` (preprocessing, network, post-processing; random
  weights, batch 1) of Panoptic SegFormer R-50 (``panoptic-segformer_r50_8xb1-24e_coco-panoptic.py``),
  mmdet's Mask2Former R-50 panoptic (``mask2former_r50_8xb2-lsj-50e_coco-panoptic.py``) and mmdet's Deformable
  DETR R-50 with box refinement (``deformable-detr-refine_r50_16xb2-50e_coco.py``, the detector Panoptic
  SegFormer is built on; mmdet's configs as installed with mmdet), timed by
  :func:`mmpanoptic.utils.benchmark.benchmark_test_step` in the same process, in turns (one run of each model
  per round, so that a change of the machine's load affects all alike), for every precision (fp32 and bf16
  autocast on CPU, fp32 and fp16 autocast on CUDA). Each row also gives the model's latency divided by Panoptic
  SegFormer's at the same precision. With random weights the number of segments the merges keep is not a
  trained model's; the ``merge`` row times Panoptic SegFormer's merge alone.
* ``merge``: :meth:`MaskClassificationFusionHead.panoptic_from_scores` with the Panoptic SegFormer R-50
  ``test_cfg`` (rescoring by mask quality squared, thresholds 0.25, paint merge with overlap 0.4 / 0.2) on
  ``--things`` thing + ``--stuff`` stuff candidates (100 + 53, the COCO test-time numbers) whose raw masks
  are made like a trained model's: a random partition of the stride-8 grid into one cell per candidate,
  values 1 inside the cell and 0 outside plus N(0, 0.2^2) noise, clipped at 0 (the masks are non-negative and
  not squashed); scores uniform in [0.3, 1]. The masks are resized to ``--merge-ori-shape`` (the original
  image size; default ``--shape``, an image that was not resized, the largest output the merge paints).

Every number is the median over ``--repeat`` runs after ``--warmup`` runs; CUDA is synchronised around every
measurement. Prints a Markdown table (the one in ``configs/panoptic_segformer/README.md``) and writes JSON with
``--out``.
"""
import argparse
import json
import os.path as osp
import statistics
import time

from mmpanoptic.cli import load_config, main_with_clear_errors

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PSF_CONFIG = osp.join(ROOT, 'configs', 'panoptic_segformer', 'panoptic-segformer_r50_8xb1-24e_coco-panoptic.py')
# name -> config path (relative to mmdet's installed configs for the mmdet models)
MODELS = {
    'Panoptic SegFormer R-50': None,
    'Mask2Former R-50 (mmdet)': ('mask2former', 'mask2former_r50_8xb2-lsj-50e_coco-panoptic.py'),
    'Deformable DETR R-50 refine (mmdet)': ('deformable_detr', 'deformable-detr-refine_r50_16xb2-50e_coco.py'),
}
KEYS = dict(zip(('psf', 'mask2former', 'deformable-detr'), MODELS))


def model_config(name: str) -> str:
    """The config file of a benchmarked model: the project's for Panoptic SegFormer, mmdet's installed ones."""
    if MODELS[name] is None:
        return PSF_CONFIG
    import mmdet
    return osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs', *MODELS[name])


def merge_inputs(shape, num_things, num_stuff, num_things_classes=80, seed=0):
    """Scores (N,), labels (N,) and raw masks (N, H/8, W/8) of N = things + stuff candidates (module doc)."""
    import torch
    gen = torch.Generator().manual_seed(seed)
    num = num_things + num_stuff
    h, w = -(-shape[0] // 8), -(-shape[1] // 8)
    seeds = torch.rand((num, 2), generator=gen) * torch.tensor([h, w])
    grid = torch.stack(torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij'), -1).float()
    cells = torch.cdist(grid.view(-1, 2), seeds).argmin(1).view(h, w)
    inside = (cells[None] == torch.arange(num).view(-1, 1, 1)).float()
    masks = (inside + 0.2 * torch.randn((num, h, w), generator=gen)).clamp(min=0)
    scores = 0.3 + 0.7 * torch.rand(num, generator=gen)
    labels = torch.cat([torch.randint(0, num_things_classes, (num_things, ), generator=gen),
                        torch.arange(num_things_classes, num_things_classes + num_stuff)])
    return scores, labels, masks


def benchmark_merge(shape, device, warmup, repeat, num_things=100, num_stuff=53, ori_shape=None):
    """Median latency (ms) of the Panoptic SegFormer R-50 merge on ``num_things + num_stuff`` candidates of an
    input of ``shape`` (H, W), painted at ``ori_shape`` (default ``shape``)."""
    import torch

    from mmpanoptic.registry import MODELS as REGISTRY
    cfg = load_config(PSF_CONFIG)
    head = REGISTRY.build(dict(type='MaskClassificationFusionHead', num_things_classes=cfg.model.num_things_classes,
                               num_stuff_classes=cfg.model.num_stuff_classes, test_cfg=cfg.model.test_cfg))
    scores, labels, masks = (t.to(device) for t in merge_inputs(shape, num_things, num_stuff,
                                                                 cfg.model.num_things_classes))
    objects = torch.ones_like(scores, dtype=torch.bool)
    ori_shape = tuple(ori_shape or shape)
    meta = dict(img_shape=tuple(shape), ori_shape=ori_shape, batch_input_shape=tuple(shape))
    times = []
    for i in range(warmup + repeat):
        if device.startswith('cuda'):
            torch.cuda.synchronize()
        start = time.perf_counter()
        with torch.no_grad():
            panoptic, queries, _ = head.panoptic_from_scores(scores, labels, objects, masks, meta, True)
        if device.startswith('cuda'):
            torch.cuda.synchronize()
        if i >= warmup:
            times.append((time.perf_counter() - start) * 1000)
    return dict(latency_ms_median=statistics.median(times), latency_ms_mean=statistics.mean(times),
                repeat=repeat, shape=list(shape), ori_shape=list(ori_shape), things=num_things, stuff=num_stuff,
                segments=int(len(queries)), test_cfg=dict(cfg.model.test_cfg))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Benchmark Panoptic SegFormer R-50 against mmdet\'s Mask2Former and Deformable DETR, and its '
        'mask-wise merge')
    parser.add_argument('--shape', type=int, nargs=2, default=[800, 1333], metavar=('H', 'W'))
    parser.add_argument('--models', nargs='+', default=list(KEYS), choices=list(KEYS),
                        help='models to time (default: all; psf is the reference of the ratios)')
    parser.add_argument('--precisions', nargs='+', choices=['fp32', 'bf16', 'fp16'], default=None,
                        help='default: fp32 and bf16 on CPU, fp32 and fp16 on CUDA')
    parser.add_argument('--device', help='cpu, cuda or cuda:N (default: cuda if available, else cpu)')
    parser.add_argument('--warmup', type=int, default=1, help='untimed runs first')
    parser.add_argument('--repeat', type=int, default=5, help='timed runs (the median is reported)')
    parser.add_argument('--things', type=int, default=100, help='thing candidates of the merge benchmark')
    parser.add_argument('--stuff', type=int, default=53, help='stuff candidates of the merge benchmark')
    parser.add_argument('--merge-ori-shape', type=int, nargs=2, metavar=('H', 'W'),
                        help='original image size the merge paints at (default: --shape)')
    parser.add_argument('--skip-models', action='store_true', help='only the merge benchmark')
    parser.add_argument('--threads', type=int, help='torch CPU threads (default: torch\'s)')
    parser.add_argument('--out', help='write the results as JSON to this file')
    return parser.parse_args(argv)


@main_with_clear_errors
def main(argv=None):
    args = parse_args(argv)
    import platform

    import torch

    from mmpanoptic.registry import MODELS as REGISTRY
    from mmpanoptic.utils import register_all_modules
    from mmpanoptic.utils.benchmark import benchmark_test_step
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if args.threads:
        torch.set_num_threads(args.threads)
    precisions = args.precisions or (['fp32', 'fp16'] if device.startswith('cuda') else ['fp32', 'bf16'])
    device_name = (torch.cuda.get_device_name(device) if device.startswith('cuda') else
                   f'CPU {platform.processor() or platform.machine()}')
    register_all_modules()
    shape = tuple(args.shape)
    results = dict(device=device_name, threads=torch.get_num_threads(), torch=torch.__version__, models=[],
                   merge=None)
    rows = ['| what | input | precision | latency (ms) | FPS | / PSF-R50 | device |', '|---|---|---|---|---|---|---|']
    where = f'{device_name}, {results["threads"]} threads' if device == 'cpu' else device_name
    if not args.skip_models:
        built = []
        for key in args.models:
            name = KEYS[key]
            cfg = load_config(model_config(name))
            cfg.model.backbone.init_cfg = None
            torch.manual_seed(0)
            built.append((name, REGISTRY.build(cfg.model).to(device).eval()))
        for precision in precisions:
            # In turns, one run of each model per round: a change of the machine's load during the run
            # affects every model alike, which keeps the ratios meaningful on a shared machine.
            times = {name: [] for name, _ in built}
            last = {}
            for round_ in range(args.warmup + args.repeat):
                for name, model in built:
                    last[name] = benchmark_test_step(model, shape, device, precision, 0, 1)
                    if round_ >= args.warmup:
                        times[name].append(last[name]['latency_ms_median'])
            for name, _ in built:
                median = statistics.median(times[name])
                res = dict(last[name], latency_ms_median=median, latency_ms_mean=statistics.mean(times[name]),
                           fps=1000.0 / median, iters=args.repeat, latencies_ms=times[name], model=name,
                           config=model_config(name))
                results['models'].append(res)
        del built
        for res in results['models']:
            ref = [r for r in results['models'] if r['model'] == KEYS['psf'] and r['precision'] == res['precision']]
            res['ratio_to_psf'] = res['latency_ms_median'] / ref[0]['latency_ms_median'] if ref else None
            ratio = f'{res["ratio_to_psf"]:.2f}' if ref else '-'
            rows.append(f'| {res["model"]} test_step | {shape[0]}x{shape[1]} | {res["precision"]} | '
                        f'{res["latency_ms_median"]:.0f} | {res["fps"]:.2f} | {ratio} | {where} |')
    merge = benchmark_merge(shape, device, args.warmup, args.repeat, args.things, args.stuff, args.merge_ori_shape)
    results['merge'] = merge
    painted = merge['ori_shape']
    rows.append(f'| PSF-R50 mask-wise merge, {args.things} + {args.stuff} candidates ({merge["segments"]} segments), '
                f'painted at {painted[0]}x{painted[1]} | {shape[0]}x{shape[1]} | fp32 | '
                f'{merge["latency_ms_median"]:.1f} | '
                f'{1000 / merge["latency_ms_median"]:.1f} | - | {where} |')
    print('\n'.join(rows))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == '__main__':
    main()
