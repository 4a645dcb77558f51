"""Cityscapes ``gtFine/<split>/<city>/*_gtFine_instanceIds.png`` -> the COCO-panoptic files of
:class:`~mmpanoptic.datasets.CityscapesPanopticDataset`, by cityscapesScripts or by the built-in conversion.

Both write, for a split, ``<out_dir>/cityscapes_panoptic_<split>.json`` and
``<out_dir>/cityscapes_panoptic_<split>/<city>_<seq>_<frame>_gtFine_panoptic.png`` with the same partition:

* instanceIds value ``v < 1000`` is a region of labelId ``v`` (a crowd region when the class has instances),
  ``v >= 1000`` is instance ``v % 1000`` of labelId ``v // 1000``;
* classes that are not evaluated (labelIds outside the 19 classes) become VOID (PNG id 0);
* the segment id is ``v`` and the category id the labelId; ``images[].file_name`` is
  ``<id>_gtFine_leftImg8bit.png`` and the image id ``<city>_<seq>_<frame>``.
"""
import glob
import os
import os.path as osp
from typing import List, Tuple

import numpy as np
from PIL import Image

from mmpanoptic.errors import ConfigError, DataError
from mmpanoptic.structures.panoptic_encoding import coco_rgb
from ..cityscapes_panoptic import CITYSCAPES_CLASSES
from .panoptic_files import read_png, segments_info, write_json

# Every labelId of cityscapesScripts' ``labels.py`` (-1 is the license plate); the 19 evaluated ones are
# those of CITYSCAPES_CLASSES.
CITYSCAPES_LABEL_IDS = frozenset(range(-1, 34))
EVALUATED = {c[0]: c for c in CITYSCAPES_CLASSES}
SUFFIX = '_gtFine_instanceIds.png'


def instance_id_files(gt_dir: str, split: str) -> List[str]:
    """The ``<city>/*_gtFine_instanceIds.png`` files of ``gt_dir/split``, sorted; never empty."""
    files = sorted(glob.glob(osp.join(gt_dir, split, '*', f'*{SUFFIX}')))
    if not files:
        raise FileNotFoundError(f'{osp.join(gt_dir, split)}: no <city>/*{SUFFIX} files (give the Cityscapes '
                                'folder that holds gtFine/, with the gtFine_trainvaltest package unpacked)')
    return files


def convert_instance_ids(instance_ids: np.ndarray, path: str) -> Tuple[np.ndarray, List[dict]]:
    """The panoptic PNG content and ``segments_info`` of one ``instanceIds`` map.

    Args:
        instance_ids (np.ndarray): (H, W) integer map.
        path (str): its file, for error messages.

    Returns:
        tuple: (H, W, 3) uint8 RGB with ``id = R + 256 G + 256^2 B`` and the ``segments_info`` list
        (``{id, category_id, iscrowd, area, bbox}``, by increasing id).

    Raises:
        DataError: a value whose labelId is no Cityscapes labelId.
    """
    pan = np.zeros(instance_ids.shape, np.int64)
    categories, crowd = {}, []
    for value in np.unique(instance_ids).tolist():
        label_id = value if value < 1000 else value // 1000
        if label_id not in CITYSCAPES_LABEL_IDS:
            raise DataError(f'{path}: value {value} has labelId {label_id}, which is no Cityscapes labelId '
                            '(-1 to 33; is this an instanceIds PNG of gtFine?)')
        if label_id not in EVALUATED:
            continue
        pan[instance_ids == value] = value
        categories[value] = label_id
        if value < 1000 and EVALUATED[label_id][3]:
            crowd.append(value)
    return coco_rgb(pan), segments_info(pan, categories, crowd)


def coco_categories() -> List[dict]:
    """``categories`` of the files: the 19 evaluated classes, by labelId."""
    return [dict(id=c[0], name=c[2], color=list(c[4]), isthing=int(c[3])) for c in CITYSCAPES_CLASSES]


def convert_split_builtin(gt_dir: str, out_dir: str, split: str) -> int:
    """Convert one split with the built-in conversion; return the number of images."""
    files = instance_id_files(gt_dir, split)
    png_dir = osp.join(out_dir, f'cityscapes_panoptic_{split}')
    os.makedirs(png_dir, exist_ok=True)
    images, annotations = [], []
    for path in files:
        name = osp.basename(path)
        image_id = name[:-len(SUFFIX)]
        png, segments = convert_instance_ids(read_png(path, channels=1).astype(np.int64), path)
        png_name = f'{image_id}_gtFine_panoptic.png'
        Image.fromarray(png).save(osp.join(png_dir, png_name))
        images.append(dict(id=image_id, file_name=f'{image_id}_gtFine_leftImg8bit.png', height=int(png.shape[0]),
                           width=int(png.shape[1])))
        annotations.append(dict(image_id=image_id, file_name=png_name, segments_info=segments))
    write_json(osp.join(out_dir, f'cityscapes_panoptic_{split}.json'),
               dict(images=images, annotations=annotations, categories=coco_categories()))
    return len(files)


def convert_split_cityscapesscripts(gt_dir: str, out_dir: str, split: str) -> int:
    """Convert one split with cityscapesScripts' ``createPanopticImgs.convert2panoptic`` (labelIds, not
    trainIds); return the number of images.

    Raises:
        ConfigError: cityscapesScripts is not installed.
        DataError: it stopped on a PNG (an unknown labelId, or a file it cannot read).
    """
    files = instance_id_files(gt_dir, split)  # convert2panoptic would only print an error and exit
    try:
        from cityscapesscripts.preparation.createPanopticImgs import convert2panoptic
    except ImportError:
        raise ConfigError('--impl cityscapesscripts: the cityscapesscripts package is not installed (pip install '
                          'cityscapesscripts==2.3.0, or pass --impl builtin)') from None
    os.makedirs(out_dir, exist_ok=True)
    try:
        convert2panoptic(gt_dir, out_dir, False, [split])
    except KeyError as error:
        label_id = error.args[0] if error.args else None
        label_id = int(label_id) if isinstance(label_id, (int, np.integer)) else label_id
        raise DataError(f'{osp.join(gt_dir, split)}: cityscapesscripts found labelId {label_id} in an instanceIds '
                        'PNG, which is no Cityscapes labelId (run with --impl builtin to see the file)') from None
    except OSError as error:
        raise DataError(f'{osp.join(gt_dir, split)}: cityscapesscripts cannot read a PNG: {error}') from None
    return len(files)
