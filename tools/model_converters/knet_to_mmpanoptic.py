"""Convert an official K-Net (mmdet 2.x) or RT-K-Net (detectron2) checkpoint to mmpanoptic's layout.

``python tools/model_converters/knet_to_mmpanoptic.py knet_s3_r50_fpn_1x_coco-panoptic_<stamp>.pth out.pth``
``python tools/model_converters/knet_to_mmpanoptic.py rtknet_cityscapes.pth out.pth --family rtknet --num-stuff 11``

Conversion is optional: :class:`KNet` and :class:`RTKNet` load official checkpoints directly (``load_from``
or ``tools/test.py CONFIG CKPT``) through :func:`mmpanoptic.models.utils.convert_official_state_dict`.
RT-K-Net's stuff-first class rows are moved to mmpanoptic's things-first order (``--num-stuff``).
"""
import argparse
import os
import os.path as osp

import torch
from mmengine.runner.checkpoint import _load_checkpoint

import mmpanoptic  # noqa: F401  (safe checkpoint loading under torch>=2.6)
from mmpanoptic.engine.load import CheckpointMismatchError
from mmpanoptic.models.utils import convert_official_checkpoint
from mmpanoptic.utils import main_with_clear_errors


def convert(in_file: str, out_file: str, family: str = 'knet', num_stuff_classes: int = 53) -> int:
    """Write the converted checkpoint; return the number of tensors written."""
    if not osp.isfile(in_file):
        raise FileNotFoundError(f'checkpoint "{in_file}" does not exist')
    checkpoint = _load_checkpoint(in_file, map_location='cpu')
    if not isinstance(checkpoint, dict):
        raise ValueError(f'{in_file}: expected a dict, got {type(checkpoint).__name__}')
    try:
        converted = convert_official_checkpoint(checkpoint, family, num_stuff_classes)
    except ValueError as err:
        raise CheckpointMismatchError(f'{in_file}: {err}') from err
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    torch.save(dict(state_dict=converted, meta=dict(converted_from=osp.basename(in_file))), out_file)
    return len(converted)


def parse_args(argv=None, family='knet', num_stuff=53):
    parser = argparse.ArgumentParser(description='Convert an official K-Net / RT-K-Net checkpoint to mmpanoptic')
    parser.add_argument('in_file', help='official checkpoint')
    parser.add_argument('out_file', help='output checkpoint')
    parser.add_argument('--family', choices=['knet', 'rtknet'], default=family, help='model family')
    parser.add_argument('--num-stuff', type=int, default=num_stuff,
                        help='stuff classes (RT-K-Net class reordering; Cityscapes 11, Mapillary 28)')
    return parser.parse_args(argv)


@main_with_clear_errors
def main(argv=None, family='knet', num_stuff=53):
    args = parse_args(argv, family, num_stuff)
    num = convert(args.in_file, args.out_file, args.family, args.num_stuff)
    print(f'wrote {num} tensors to {args.out_file}')
    return num


if __name__ == '__main__':
    main()
