"""Convert an official YOSO checkpoint (detectron2 layout) to mmpanoptic's layout.

``python tools/model_converters/yoso_to_mmpanoptic.py yoso_res50_coco.pth yoso_r50_coco_mmpanoptic.pth``

The weights are read from the checkpoint's ``model`` entry (or the file itself when it is a plain state
dict), mapped by :func:`mmpanoptic.models.utils.convert_official_yoso_state_dict` (backbone, neck and head
keys; the loss buffer ``yoso_head.criterion.empty_weight`` is dropped) and saved as
``{'state_dict': ..., 'meta': {'converted_from': ...}}``. Conversion is optional: :class:`YOSO` also loads
official checkpoints directly (``load_from`` or ``tools/test.py CONFIG yoso_res50_coco.pth``).
"""
import argparse
import os
import os.path as osp

import torch
from mmengine.runner.checkpoint import _load_checkpoint

import mmpanoptic  # noqa: F401  (safe checkpoint loading under torch>=2.6)
from mmpanoptic.engine.load import CheckpointMismatchError
from mmpanoptic.models.utils import convert_official_yoso_state_dict
from mmpanoptic.utils import main_with_clear_errors


def convert(in_file: str, out_file: str) -> int:
    """Write the converted checkpoint; return the number of tensors written."""
    if not osp.isfile(in_file):
        raise FileNotFoundError(f'checkpoint "{in_file}" does not exist')
    checkpoint = _load_checkpoint(in_file, map_location='cpu')
    if not isinstance(checkpoint, dict):
        raise ValueError(f'{in_file}: expected a dict, got {type(checkpoint).__name__}')
    state_dict = checkpoint.get('model', checkpoint)
    try:
        converted = convert_official_yoso_state_dict(state_dict)
    except ValueError as err:
        raise CheckpointMismatchError(f'{in_file}: {err}') from err
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    torch.save(dict(state_dict=converted, meta=dict(converted_from=osp.basename(in_file))), out_file)
    return len(converted)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Convert an official YOSO checkpoint to mmpanoptic')
    parser.add_argument('in_file', help='official checkpoint (e.g. yoso_res50_coco.pth)')
    parser.add_argument('out_file', help='output checkpoint')
    return parser.parse_args(argv)


@main_with_clear_errors
def main(argv=None):
    args = parse_args(argv)
    num = convert(args.in_file, args.out_file)
    print(f'wrote {num} tensors to {args.out_file}')
    return num


if __name__ == '__main__':
    main()
