"""Cityscapes ``*_gtFine_instanceIds.png`` -> COCO-panoptic JSON + PNGs (what ``CityscapesPanopticDataset`` reads).

Usage::

    python tools/dataset_converters/cityscapes_panoptic.py data/cityscapes [--splits train val] \\
        [--impl {cityscapesscripts,builtin}] [--out-dir DIR]

Writes ``gtFine/cityscapes_panoptic_{split}.json`` and ``gtFine/cityscapes_panoptic_{split}/*_gtFine_panoptic.png``
(or the same under ``--out-dir``) with labelId category ids. By default the official
``cityscapesscripts`` package (``createPanopticImgs.convert2panoptic``, a requirement of mmpanoptic) does
the conversion; ``--impl builtin`` does the same conversion here (see
:mod:`mmpanoptic.datasets.converters.cityscapes_panoptic`), naming the PNG of any unknown labelId.
"""
import argparse
import os.path as osp

from mmpanoptic.cli import main_with_clear_errors

IMPLEMENTATIONS = ('cityscapesscripts', 'builtin')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('cityscapes_root', help='folder holding gtFine/ and leftImg8bit/')
    parser.add_argument('--splits', nargs='+', default=['train', 'val'], choices=['train', 'val', 'test'])
    parser.add_argument('--impl', choices=IMPLEMENTATIONS, default='cityscapesscripts',
                        help='cityscapesscripts: the official createPanopticImgs (default); builtin: the same '
                        'conversion in mmpanoptic')
    parser.add_argument('--out-dir', help='output folder (default: CITYSCAPES_ROOT/gtFine)')
    return parser.parse_args(argv)


@main_with_clear_errors
def main(argv=None) -> None:
    args = parse_args(argv)
    from mmpanoptic.datasets.converters.cityscapes_panoptic import (convert_split_builtin,
                                                                    convert_split_cityscapesscripts)
    gt_dir = osp.join(args.cityscapes_root, 'gtFine')
    if not osp.isdir(gt_dir):
        raise FileNotFoundError(f'{gt_dir}: no gtFine folder in {args.cityscapes_root} (unpack '
                                'gtFine_trainvaltest.zip there)')
    convert = convert_split_builtin if args.impl == 'builtin' else convert_split_cityscapesscripts
    out_dir = args.out_dir or gt_dir
    for split in args.splits:
        print(f'{split}: converted {convert(gt_dir, out_dir, split)} images with {args.impl} into '
              f'{osp.join(out_dir, f"cityscapes_panoptic_{split}.json")}')


if __name__ == '__main__':
    main()
