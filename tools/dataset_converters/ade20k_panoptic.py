"""ADE20K scene parsing (ADEChallengeData2016) + instance annotations -> COCO panoptic.

Usage::

    python tools/dataset_converters/ade20k_panoptic.py data/ADEChallengeData2016 [--splits train val] [--nproc 8]

Reads, under the root, ``images/{training,validation}/<id>.jpg``, the semantic maps
``annotations/{training,validation}/<id>.png`` (0 = ignore, v = class v - 1 of the 150) and the instance
maps of the ``annotations_instance`` tarball, ``annotations_instance/{training,validation}/<id>.png``
(R = instance category 1-100, G = instance index, 0 = none). Writes what ``ADE20KPanopticDataset`` reads:
``ade20k_panoptic_{train,val}.json`` and ``ade20k_panoptic_{train,val}/<id>.png`` (the same content as
Mask2Former's ``prepare_ade20k_pan_seg.py``, with deterministic segment ids):

* category id = semantic class index 0-149; the things are the 100 classes with instances, instance
  category k being the k-th of them in increasing class index (Mask2Former's
  ``ade20k_instance_catid_mapping.txt``);
* each stuff class of the semantic map is one segment, id ``(category + 1) * 1000``;
* each instance of the instance map is one thing segment, id ``(category + 1) * 1000 + index``; it is
  painted over the semantic map (the two overlap in places);
* thing-class pixels of the semantic map without an instance are VOID; ``iscrowd`` is always 0;
* the image id is the file stem (``ADE_val_00000001``).

A missing semantic or instance map, a map of another size than its image, a corrupt PNG, a semantic
value above 150, an unknown instance category and an instance with pixels of two categories raise an
error naming the file.
"""
import argparse
import glob
import os.path as osp
from functools import partial
from typing import TYPE_CHECKING, Tuple

from mmpanoptic.cli import main_with_clear_errors

if TYPE_CHECKING:
    import numpy as np

SPLITS = dict(train='training', val='validation')
NUM_CLASSES = 150
ID_DIVISOR = 1000


def thing_tables(metainfo: dict) -> Tuple['np.ndarray', 'np.ndarray']:
    """Lookup tables of the dataset's thing classes.

    Returns:
        tuple: ``is_thing`` (150,) bool per category id and ``instance_to_category`` (256,) int64, the
        category id of each instance-map category value (-1 where unknown).
    """
    import numpy as np
    thing_ids = sorted(metainfo['category_ids'][:len(metainfo['thing_classes'])])
    is_thing = np.zeros(NUM_CLASSES, bool)
    is_thing[thing_ids] = True
    instance_to_category = np.full(256, -1, np.int64)
    instance_to_category[1:len(thing_ids) + 1] = thing_ids
    return is_thing, instance_to_category


def convert_image(image_path: str, root: str, split: str, is_thing: 'np.ndarray',
                  instance_to_category: 'np.ndarray') -> Tuple[dict, dict]:
    """Write the panoptic PNG of one image; return its ``images`` and ``annotations`` entries."""
    import numpy as np

    from mmpanoptic.datasets.converters import check_size, image_size, read_png, segments_info, write_panoptic_png
    image_id = osp.splitext(osp.basename(image_path))[0]
    semantic_path = osp.join(root, 'annotations', SPLITS[split], f'{image_id}.png')
    instance_path = osp.join(root, 'annotations_instance', SPLITS[split], f'{image_id}.png')
    height, width = image_size(image_path)
    semantic = read_png(semantic_path, channels=1).astype(np.int64)
    check_size(semantic_path, semantic.shape, image_path, (height, width))
    instance = read_png(instance_path, channels=3).astype(np.int64)
    check_size(instance_path, instance.shape, image_path, (height, width))
    if semantic.max() > NUM_CLASSES:
        bad = np.unique(semantic[semantic > NUM_CLASSES]).tolist()
        raise ValueError(f'{semantic_path}: unknown semantic values {bad} (expected 0-{NUM_CLASSES})')
    category = semantic - 1
    stuff = (category >= 0) & ~is_thing[category.clip(min=0)]
    id_map = np.where(stuff, (category + 1) * ID_DIVISOR, 0)
    instance_category, instance_index = instance[..., 0], instance[..., 1]
    for index in np.unique(instance_index[instance_index > 0]).tolist():
        mask = instance_index == index
        values = np.unique(instance_category[mask]).tolist()
        if len(values) != 1:
            raise ValueError(f'{instance_path}: instance {index} has pixels of several instance categories '
                             f'{values}')
        category_id = int(instance_to_category[values[0]])
        if category_id < 0:
            raise ValueError(f'{instance_path}: unknown instance category {values[0]} of instance {index} '
                             f'(expected 1-{int((instance_to_category >= 0).sum())})')
        id_map[mask] = (category_id + 1) * ID_DIVISOR + index
    png_name = f'{image_id}.png'
    write_panoptic_png(osp.join(root, f'ade20k_panoptic_{split}', png_name), id_map)
    categories = {int(i): int(i) // ID_DIVISOR - 1 for i in np.unique(id_map) if i}
    image = dict(id=image_id, file_name=osp.basename(image_path), height=height, width=width)
    annotation = dict(image_id=image_id, file_name=png_name, segments_info=segments_info(id_map, categories))
    return image, annotation


def convert_split(root: str, split: str, nproc: int = 1) -> int:
    """Convert one split; return the number of images."""
    from mmpanoptic.datasets import ADE20KPanopticDataset
    from mmpanoptic.datasets.converters import coco_categories, run_tasks, write_json
    image_paths = sorted(glob.glob(osp.join(root, 'images', SPLITS[split], '*.jpg')))
    if not image_paths:
        raise FileNotFoundError(f'{osp.join(root, "images", SPLITS[split])}: no *.jpg images')
    metainfo = ADE20KPanopticDataset.METAINFO
    is_thing, instance_to_category = thing_tables(metainfo)
    convert = partial(convert_image, root=root, split=split, is_thing=is_thing,
                      instance_to_category=instance_to_category)
    entries = run_tasks(convert, image_paths, nproc)
    write_json(osp.join(root, f'ade20k_panoptic_{split}.json'),
               dict(images=[e[0] for e in entries], annotations=[e[1] for e in entries],
                    categories=coco_categories(metainfo)))
    return len(entries)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='ADEChallengeData2016 folder (images/, annotations/, annotations_instance/)')
    parser.add_argument('--splits', nargs='+', default=list(SPLITS), choices=list(SPLITS))
    parser.add_argument('--nproc', type=int, default=1, help='worker processes')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    """Convert the splits; errors are raised (the command line prints user errors as one ``error:`` line)."""
    args = parse_args(argv)
    for split in args.splits:
        print(f'\n{split}: converted {convert_split(args.root, split, args.nproc)} images')


if __name__ == '__main__':
    main_with_clear_errors(main)()
