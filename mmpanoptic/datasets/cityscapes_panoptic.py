"""Cityscapes panoptic (19 evaluated classes: 8 things, 11 stuff)."""
import os.path as osp

from mmpanoptic.registry import DATASETS
from .base_panoptic_dataset import BasePanopticDataset, things_first_metainfo

# (labelId, trainId, name, isthing, colour) of the 19 evaluated Cityscapes classes, in trainId order.
CITYSCAPES_CLASSES = (
    (7, 0, 'road', False, (128, 64, 128)), (8, 1, 'sidewalk', False, (244, 35, 232)),
    (11, 2, 'building', False, (70, 70, 70)), (12, 3, 'wall', False, (102, 102, 156)),
    (13, 4, 'fence', False, (190, 153, 153)), (17, 5, 'pole', False, (153, 153, 153)),
    (19, 6, 'traffic light', False, (250, 170, 30)), (20, 7, 'traffic sign', False, (220, 220, 0)),
    (21, 8, 'vegetation', False, (107, 142, 35)), (22, 9, 'terrain', False, (152, 251, 152)),
    (23, 10, 'sky', False, (70, 130, 180)), (24, 11, 'person', True, (220, 20, 60)),
    (25, 12, 'rider', True, (255, 0, 0)), (26, 13, 'car', True, (0, 0, 142)),
    (27, 14, 'truck', True, (0, 0, 70)), (28, 15, 'bus', True, (0, 60, 100)),
    (31, 16, 'train', True, (0, 80, 100)), (32, 17, 'motorcycle', True, (0, 0, 230)),
    (33, 18, 'bicycle', True, (119, 11, 32)))


@DATASETS.register_module()
class CityscapesPanopticDataset(BasePanopticDataset):
    """Cityscapes panoptic as written by ``cityscapesScripts`` ``createPanopticImgs`` (or by
    ``tools/dataset_converters/cityscapes_panoptic.py``).

    Layout (``data_root='data/cityscapes/'``)::

        leftImg8bit/{train,val}/<city>/<city>_<seq>_<frame>_leftImg8bit.png
        gtFine/cityscapes_panoptic_{train,val}.json
        gtFine/cityscapes_panoptic_{train,val}/<city>_<seq>_<frame>_gtFine_panoptic.png

    Category ids are Cityscapes labelIds (the official default and what the evaluation server
    expects); a ``--use-train-id`` file is rejected by the thing/stuff check. Image ids are the strings
    ``<city>_<seq>_<frame>``; the image is found from the id (the ``file_name`` of the official file
    names a non-existent ``..._gtFine_leftImg8bit.png``), the PNG from the annotation's ``file_name``.
    """

    METAINFO = things_first_metainfo([(c[0], c[2], c[3], c[4]) for c in CITYSCAPES_CLASSES])

    def image_file(self, img_info: dict) -> str:
        image_id = str(img_info['id'])
        city = image_id.split('_')[0]
        return osp.join(self.data_prefix['img'], city, f'{image_id}_leftImg8bit.png')
