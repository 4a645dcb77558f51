"""KITTI-STEP video panoptic dataset (19 Cityscapes classes; person and car are tracked)."""
import os
import os.path as osp
from typing import Dict, List

from mmpanoptic.errors import DataError
from mmpanoptic.registry import DATASETS
from .base_panoptic_dataset import things_first_metainfo
from .base_video_panoptic_dataset import BaseVideoPanopticDataset
from .cityscapes_panoptic import CITYSCAPES_CLASSES

KITTI_STEP_THING_TRAIN_IDS = (11, 13)


def index_frames(folder: str) -> Dict[int, str]:
    """Map frame index -> file name of the ``<frame index>.png`` files of ``folder``.

    Raises a ``DataError`` for another file name and for two files with the same index.
    """
    frames = {}
    for name in sorted(os.listdir(folder)):
        stem, ext = osp.splitext(name)
        if ext.lower() != '.png' or not stem.isdigit():
            raise DataError(f'{osp.join(folder, name)}: expected a <frame index>.png file name (rename or remove '
                            'the file)')
        if int(stem) in frames:
            raise DataError(f'{folder}: duplicate frame index {int(stem)} ({frames[int(stem)]} and {name})')
        frames[int(stem)] = name
    return frames


@DATASETS.register_module()
class KITTISTEPDataset(BaseVideoPanopticDataset):
    """KITTI-STEP in the deeplab2 layout (``tools/dataset_converters/kitti_step.py`` writes it)::

        images/{train,val,test}/<sequence %04d>/<frame %06d>.png
        panoptic_maps/{train,val}/<sequence %04d>/<frame %06d>.png

    with ``data_prefix=dict(img='images/val', seg='panoptic_maps/val')`` (no ``seg`` for the test
    split). Panoptic maps are RGB PNGs with R = Cityscapes trainId (255 = void) and ``G * 256 + B`` =
    track id, non-zero only for person (11) and car (13); they are read by ``LoadPanopticGT`` with
    ``seg_map_encoding='step'``. Labels are things first: person 0, car 1, then the other 17 trainIds
    in order. Sequence folders are video ids, the frame file names are the frame indices; an image
    without a panoptic map, a map without an image, a non-numeric file name and a gap in the frame
    indices raise a ``DataError`` (``FileNotFoundError`` for a missing file) naming the file or sequence.
    """

    METAINFO = things_first_metainfo([(c[1], c[2], c[1] in KITTI_STEP_THING_TRAIN_IDS, c[4])
                                      for c in CITYSCAPES_CLASSES])

    def load_frames(self) -> List[dict]:
        img_root = self.data_prefix.get('img', '')
        seg_root = self.data_prefix.get('seg')
        if not osp.isdir(img_root):
            raise FileNotFoundError(f'{img_root}: image folder of {type(self).__name__} does not exist (check '
                                    'data_root and data_prefix.img)')
        category_ids = tuple(self.metainfo['category_ids'])
        num_things = len(self.metainfo['thing_classes'])
        frames = []
        for sequence in sorted(os.listdir(img_root)):
            img_dir = osp.join(img_root, sequence)
            if not osp.isdir(img_dir):
                continue
            images = index_frames(img_dir)
            maps = {}
            if seg_root is not None:
                seg_dir = osp.join(seg_root, sequence)
                if not osp.isdir(seg_dir):
                    raise FileNotFoundError(f'{seg_dir}: no panoptic maps for the sequence of {img_dir}')
                maps = index_frames(seg_dir)
                for index in sorted(set(images) ^ set(maps)):
                    if index in images:
                        raise FileNotFoundError(f'{osp.join(img_dir, images[index])}: no panoptic map in {seg_dir}')
                    raise FileNotFoundError(f'{osp.join(seg_dir, maps[index])}: no image in {img_dir}')
            for index, name in images.items():
                frames.append(
                    dict(video_id=sequence, frame_id=index, img_id=f'{sequence}_{index:06d}',
                         img_path=osp.join(img_dir, name),
                         seg_map_path=osp.join(seg_root, sequence, maps[index]) if maps else None,
                         seg_map_encoding='step', category_ids=category_ids, num_things=num_things))
        return frames
