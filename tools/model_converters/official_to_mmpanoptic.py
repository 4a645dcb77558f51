"""Convert an official K-Net, RT-K-Net or YOSO checkpoint to mmpanoptic's layout, once and for all.

``python tools/model_converters/official_to_mmpanoptic.py CONFIG IN.pth OUT.pth``

The config names the model and the dataset the file was trained on (YOSO's and RT-K-Net's class rows are
reordered to the dataset's label order). The file goes through the same loader as ``tools/test.py``: it is
converted by its family's checkpoint adapter and must then fit the model strictly. Conversion is optional:
``tools/test.py``, ``load_from`` and ``init_model`` accept the official files directly.
"""
import argparse
import os
import os.path as osp

from mmpanoptic.cli import load_config, main_with_clear_errors


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Convert an official checkpoint to mmpanoptic\'s layout')
    parser.add_argument('config', help='config of the model and dataset the checkpoint belongs to')
    parser.add_argument('in_file', help='official checkpoint (local path or URL)')
    parser.add_argument('out_file', help='output checkpoint')
    return parser.parse_args(argv)


def convert(config: str, in_file: str, out_file: str) -> int:
    """Write ``out_file`` (``{'state_dict': ..., 'meta': ...}``); return the number of tensors written."""
    import torch

    from mmpanoptic.engine.load import dataset_meta_from_cfg, load_weights
    from mmpanoptic.registry import MODELS
    from mmpanoptic.utils import register_all_modules
    register_all_modules()
    cfg = load_config(config)
    if '://' not in in_file and not osp.isfile(in_file):
        raise FileNotFoundError(f'checkpoint "{in_file}" does not exist')
    model = MODELS.build(cfg.model)
    load_weights(model, in_file, strict=True, dataset_meta=dataset_meta_from_cfg(cfg))
    state = model.state_dict()
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    torch.save(dict(state_dict=state, meta=dict(converted_from=osp.basename(in_file), config=config)), out_file)
    return len(state)


@main_with_clear_errors
def main(argv=None):
    args = parse_args(argv)
    num = convert(args.config, args.in_file, args.out_file)
    print(f'wrote {num} tensors to {args.out_file}')
    return num


if __name__ == '__main__':
    main()
