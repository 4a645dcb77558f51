"""Inference latency and FPS of a model: ``python tools/analysis_tools/benchmark.py CONFIG [CKPT]``.

Times the whole ``test_step`` (data preprocessing of a ready uint8 image, network and panoptic
post-processing) on random images of ``--shape``, on CPU or CUDA. ``--precision`` selects fp32, fp16
(autocast, CUDA) or bf16 (autocast, CPU or CUDA). Reports mean and median latency and FPS over
``--iters`` timed runs after ``--warmup`` runs; CUDA runs are synchronised before every clock read.
"""
import argparse
import json

from mmengine.config import DictAction

from mmpanoptic.cli import load_config, main_with_clear_errors


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Benchmark the inference speed of a model')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint (random weights without it)')
    parser.add_argument('--shape', type=int, nargs=2, default=[1024, 2048], metavar=('H', 'W'))
    parser.add_argument('--device', help='cpu, cuda or cuda:N (default: cuda if available, else cpu)')
    parser.add_argument('--precision', choices=['fp32', 'fp16', 'bf16'], default='fp32')
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--iters', type=int, default=20)
    parser.add_argument('--threads', type=int, help='torch CPU threads (default: torch\'s)')
    parser.add_argument('--out', help='write the results as JSON to this file')
    parser.add_argument('--cfg-options', nargs='+', default=None,
                        action=DictAction, help='override settings in the config')
    return parser.parse_args(argv)


@main_with_clear_errors
def main(argv=None):
    args = parse_args(argv)
    import torch
    from mmengine.registry import MODELS

    from mmpanoptic.engine.load import dataset_meta_from_cfg, load_weights
    from mmpanoptic.utils import register_all_modules
    from mmpanoptic.utils.benchmark import benchmark_test_step
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if args.threads:
        torch.set_num_threads(args.threads)
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    model = MODELS.build(cfg.model)
    if args.checkpoint:
        load_weights(model, args.checkpoint, strict=True, dataset_meta=dataset_meta_from_cfg(cfg))
    model = model.to(device).eval()
    result = benchmark_test_step(model, tuple(args.shape), device, args.precision, args.warmup, args.iters)
    print(f'{args.config} @ {result["shape"][0]}x{result["shape"][1]} {result["precision"]} on '
          f'{result["device_name"]} ({result["threads"]} threads): median {result["latency_ms_median"]:.1f} ms, '
          f'mean {result["latency_ms_mean"]:.1f} ms, {result["fps"]:.2f} FPS')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == '__main__':
    main()
