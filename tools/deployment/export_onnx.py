"""Export a model's network (no post-processing) to ONNX at a static input size and check it with
onnxruntime: ``python tools/deployment/export_onnx.py CONFIG [CHECKPOINT] --shape H W --out FILE``.

The exported graph is the model's tensor forward (``mode='tensor'``): for RT-PanoNet the raw head outputs of
:meth:`RTPanoOutputs.flat`. The post-processing (candidates, NMS, mask construction, panoptic fusion) stays in
PyTorch: :meth:`RTPanoHead.predict_by_outputs` takes the ONNX outputs. With ``--verify`` (the default) the
tool runs onnxruntime on a random image and reports the largest difference of every output, and, for heads
with ``predict_by_outputs``, whether the panoptic maps from both sets of outputs are identical.
Needs ``pip install onnx onnxruntime``.
"""
import argparse
import os.path as osp

from mmpanoptic.cli import load_config, main_with_clear_errors
from mmpanoptic.errors import ConfigError


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Export a model to ONNX (network only) and verify it')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint (mmpanoptic or official layout); random '
                        'weights if omitted')
    parser.add_argument('--shape', type=int, nargs=2, default=[1024, 2048], metavar=('H', 'W'),
                        help='static input size (a multiple of the preprocessor\'s pad_size_divisor)')
    parser.add_argument('--out', required=True, help='the .onnx file to write')
    parser.add_argument('--opset', type=int, default=17, help='ONNX opset')
    parser.add_argument('--no-verify', dest='verify', action='store_false', help='skip the onnxruntime check')
    parser.add_argument('--tolerance', type=float, default=1e-3,
                        help='largest accepted |difference| of a raw output')
    return parser.parse_args(argv)


def _require(module: str):
    try:
        return __import__(module)
    except ImportError:
        raise ConfigError(f'{module}: not installed (pip install onnx onnxruntime)') from None


def export(model, inputs, out: str, opset: int) -> None:
    """Write ``model``'s tensor forward of ``inputs`` (B, 3, H, W) to ``out`` (eval mode, static shape)."""
    import torch

    class Network(torch.nn.Module):

        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, images):
            return tuple(self.model(images, None, mode='tensor'))

    with torch.no_grad():
        torch.onnx.export(Network().eval(), (inputs, ), out, input_names=['images'], opset_version=opset,
                          dynamo=False)


def verify(model, inputs, samples, out: str, tolerance: float) -> dict:
    """Run ``out`` with onnxruntime next to PyTorch; the largest raw difference and the panoptic check."""
    import copy

    import numpy as np
    import torch

    from mmpanoptic.models.heads import RTPanoOutputs
    ort = _require('onnxruntime')
    session = ort.InferenceSession(out, providers=['CPUExecutionProvider'])
    onnx_outs = [torch.from_numpy(np.asarray(t)) for t in session.run(None, {'images': inputs.numpy()})]
    with torch.no_grad():
        torch_outs = tuple(model(inputs, None, mode='tensor'))
    if len(onnx_outs) != len(torch_outs):
        raise RuntimeError(f'the ONNX graph has {len(onnx_outs)} outputs, PyTorch {len(torch_outs)}')
    diffs = [float((a - b).abs().max()) if a.numel() else 0.0 for a, b in zip(onnx_outs, torch_outs)]
    report = dict(max_abs_diff=max(diffs), outputs=len(diffs), within_tolerance=max(diffs) <= tolerance)
    head = getattr(model, 'panoptic_head', None)
    if hasattr(head, 'predict_by_outputs'):
        pans = []
        for outs in (onnx_outs, torch_outs):
            results = head.predict_by_outputs(RTPanoOutputs.from_flat(outs, head.num_levels), copy.deepcopy(samples))
            pans.append(results[0].pred_panoptic_seg.sem_seg)
        report['panoptic_identical'] = bool(torch.equal(*pans))
        report['panoptic_differing_pixels'] = int((pans[0] != pans[1]).sum())
    return report


@main_with_clear_errors
def main(argv=None):
    args = parse_args(argv)
    _require('onnx')
    import torch
    from mmengine.registry import MODELS

    from mmpanoptic.engine.load import load_weights
    from mmpanoptic.utils import register_all_modules
    from mmpanoptic.utils.dummy_inputs import dummy_data
    register_all_modules()
    cfg = load_config(args.config)
    divisor = cfg.model.get('data_preprocessor', {}).get('pad_size_divisor', 1)
    if any(s % divisor for s in args.shape):
        raise ConfigError(f'--shape: {tuple(args.shape)} is not a multiple of the model\'s pad_size_divisor '
                          f'{divisor} (use e.g. {tuple(-(-s // divisor) * divisor for s in args.shape)})')
    if cfg.model.get('backbone', {}).get('init_cfg') and args.checkpoint is None:
        cfg.model.backbone.init_cfg = None  # random weights: no pretrained download
    model = MODELS.build(cfg.model)
    if args.checkpoint:
        load_weights(model, args.checkpoint, strict=True)
    else:
        model.init_weights()
    model.eval()
    data = model.data_preprocessor(dummy_data(tuple(args.shape)), False)
    inputs, samples = data['inputs'], data['data_samples']
    out_dir = osp.dirname(osp.abspath(args.out))
    if not osp.isdir(out_dir):
        raise ConfigError(f'--out: folder {out_dir} does not exist (create it first)')
    export(model, inputs, args.out, args.opset)
    print(f'Exported {args.config} at {tuple(inputs.shape[-2:])} to {args.out}')
    if not args.verify:
        return dict(out=args.out)
    report = verify(model, inputs, samples, args.out, args.tolerance)
    print(f'onnxruntime vs PyTorch: {report["outputs"]} outputs, max |diff| {report["max_abs_diff"]:.3g}' +
          (f'; panoptic maps identical: {report["panoptic_identical"]}' if 'panoptic_identical' in report else ''))
    if not report['within_tolerance']:
        raise RuntimeError(f'ONNX outputs differ from PyTorch by {report["max_abs_diff"]:.3g} > --tolerance '
                           f'{args.tolerance}')
    return report


if __name__ == '__main__':
    main()
