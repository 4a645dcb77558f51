"""Cityscapes ``*_gtFine_instanceIds.png`` -> COCO-panoptic JSON + PNGs (what ``CityscapesPanopticDataset`` reads).

Usage::

    python tools/dataset_converters/cityscapes_panoptic.py data/cityscapes [--splits train val] [--builtin]

Writes ``gtFine/cityscapes_panoptic_{split}.json`` and ``gtFine/cityscapes_panoptic_{split}/*_gtFine_panoptic.png``
with labelId category ids. When the official ``cityscapesscripts`` package is installed its
``createPanopticImgs.convert2panoptic`` is used (it converts train, val and test); otherwise (or with
``--builtin``) the documented conversion is done here:

* instanceIds value ``v < 1000`` is a region of labelId ``v`` (a crowd region when the class has instances),
  ``v >= 1000`` is instance ``v % 1000`` of labelId ``v // 1000``;
* classes that are not evaluated (labelIds outside the 19 classes) become VOID (PNG id 0);
* the segment id is ``v``; ``images[].file_name`` is ``<id>_gtFine_leftImg8bit.png`` and the image id is
  ``<city>_<seq>_<frame>``, exactly as the official script writes them.
"""
import argparse
import glob
import json
import os
import os.path as osp

import numpy as np
from PIL import Image

from mmpanoptic.datasets.cityscapes_panoptic import CITYSCAPES_CLASSES
from mmpanoptic.datasets.converters import segments_info
from mmpanoptic.structures.panoptic_encoding import coco_rgb

LABEL_IDS = {c[0]: c for c in CITYSCAPES_CLASSES}


def convert_instance_ids(instance_ids: np.ndarray):
    """Return (panoptic RGB PNG (H, W, 3) uint8, segments_info) of one ``instanceIds`` map."""
    pan = np.zeros(instance_ids.shape, np.int64)
    categories, crowd = {}, []
    for value in np.unique(instance_ids).tolist():
        label_id = value if value < 1000 else value // 1000
        if label_id not in LABEL_IDS:
            continue
        pan[instance_ids == value] = value
        categories[value] = label_id
        if value < 1000 and LABEL_IDS[label_id][3]:
            crowd.append(value)
    return coco_rgb(pan), segments_info(pan, categories, crowd)


def convert_split(gt_dir: str, split: str) -> int:
    files = sorted(glob.glob(osp.join(gt_dir, split, '*', '*_gtFine_instanceIds.png')))
    if not files:
        raise FileNotFoundError(f'no *_gtFine_instanceIds.png under {osp.join(gt_dir, split)}')
    out_dir = osp.join(gt_dir, f'cityscapes_panoptic_{split}')
    os.makedirs(out_dir, exist_ok=True)
    images, annotations = [], []
    for path in files:
        try:
            instance_ids = np.array(Image.open(path))
        except OSError as error:
            raise IOError(f'{path}: cannot read the instanceIds PNG ({error})') from error
        name = osp.basename(path)
        image_id = name.replace('_gtFine_instanceIds.png', '')
        png, segments = convert_instance_ids(instance_ids)
        png_name = name.replace('_instanceIds.png', '_panoptic.png')
        Image.fromarray(png).save(osp.join(out_dir, png_name))
        images.append(dict(id=image_id, file_name=name.replace('_instanceIds.png', '_leftImg8bit.png'),
                           height=int(png.shape[0]), width=int(png.shape[1])))
        annotations.append(dict(image_id=image_id, file_name=png_name, segments_info=segments))
    categories = [dict(id=c[0], name=c[2], color=list(c[4]), isthing=int(c[3])) for c in CITYSCAPES_CLASSES]
    with open(osp.join(gt_dir, f'cityscapes_panoptic_{split}.json'), 'w') as f:
        json.dump(dict(images=images, annotations=annotations, categories=categories), f)
    return len(files)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('cityscapes_root', help='folder holding gtFine/ and leftImg8bit/')
    parser.add_argument('--splits', nargs='+', default=['train', 'val'])
    parser.add_argument('--builtin', action='store_true', help='do not use cityscapesscripts even if installed')
    args = parser.parse_args(argv)
    gt_dir = osp.join(args.cityscapes_root, 'gtFine')
    if not args.builtin:
        try:
            from cityscapesscripts.preparation.createPanopticImgs import convert2panoptic
        except ImportError:
            print('cityscapesscripts is not installed: using the built-in conversion')
        else:
            convert2panoptic(gt_dir, gt_dir, False)
            return
    for split in args.splits:
        print(f'{split}: converted {convert_split(gt_dir, split)} images')


if __name__ == '__main__':
    main()
