"""COCO panoptic 2017 (133 classes: 80 things, 53 stuff)."""
from mmdet.datasets import CocoPanopticDataset as MMDetCocoPanopticDataset

from mmpanoptic.registry import DATASETS
from .base_panoptic_dataset import BasePanopticDataset

COCO_THING_IDS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31,
                  32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57,
                  58, 59, 60, 61, 62, 63, 64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87,
                  88, 89, 90)
COCO_STUFF_IDS = (92, 93, 95, 100, 107, 109, 112, 118, 119, 122, 125, 128, 130, 133, 138, 141, 144, 145, 147, 148,
                  149, 151, 154, 155, 156, 159, 161, 166, 168, 171, 175, 176, 177, 178, 180, 181, 184, 185, 186, 187,
                  188, 189, 190, 191, 192, 193, 194, 195, 196, 197, 198, 199, 200)


@DATASETS.register_module()
class CocoPanopticDataset(BasePanopticDataset):
    """COCO panoptic in the OpenMMLab layout (``coco/{train,val}2017``, ``coco/annotations/panoptic_*``).

    mmdet's :class:`~mmdet.datasets.CocoPanopticDataset` with the class names and palette of mmdet,
    the explicit COCO category ids (things 1-90, stuff 92-200) and the validation of
    :class:`BasePanopticDataset`. Image ids are ints; the PNG is the annotation's ``file_name``.
    """

    METAINFO = dict(MMDetCocoPanopticDataset.METAINFO, category_ids=COCO_THING_IDS + COCO_STUFF_IDS)
