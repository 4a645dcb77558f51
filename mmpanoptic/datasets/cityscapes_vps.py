"""Cityscapes-VPS video panoptic dataset (VPSNet release; 19 classes, 8 things)."""
import os.path as osp
import re
from typing import List

from mmpanoptic.errors import DataError
from mmpanoptic.registry import DATASETS
from .base_panoptic_dataset import index_annotations, index_images, things_first_metainfo
from .base_video_panoptic_dataset import BaseVideoPanopticDataset
from .cityscapes_panoptic import CITYSCAPES_CLASSES

_IMAGE_ID = re.compile(r'^(\d{4})_(\d{4})_')


@DATASETS.register_module()
class CityscapesVPSDataset(BaseVideoPanopticDataset):
    """Cityscapes-VPS in the VPSNet layout (``data_root='data/cityscapes_vps/'``)::

        panoptic_gt_{train,val}_city_vps.json     # COCO panoptic, one entry per labelled frame
        {train,val}/img/<image_id>_{leftImg8bit,newImg8bit}.png
        {train,val}/panoptic_video/<image_id>_{gtFine_color,final_mask}.png

    ``panoptic_gt_val_city_vps.json`` and ``val/panoptic_video`` come with VPSNet's preparation; the
    train split is written by ``tools/dataset_converters/cityscapes_vps.py``. An image list without
    ``annotations`` (``panoptic_im_test_city_vps.json``, ``im_all_info_val_city_vps.json`` with
    ``img='val/img_all/'``) is read for inference. Image ids are
    ``<video %04d>_<global frame %04d>_<city>_<seq>_<frame>``: the video id is the first field, the
    frame index the second. Category ids are Cityscapes trainIds; labels are things first. Segment ids
    (RGB) are the same for one object in all frames of a video, so they serve as instance ids.
    """

    METAINFO = things_first_metainfo([(c[1], c[2], c[3], c[4]) for c in CITYSCAPES_CLASSES])

    def load_frames(self) -> List[dict]:
        content = self.read_ann_file(required=('images', ))
        images = index_images(content['images'], self.ann_file)
        annotations = index_annotations(content.get('annotations', []), images, self.ann_file)
        frames = []
        for img_id, img_info in images.items():
            match = _IMAGE_ID.match(str(img_id))
            if match is None:
                raise DataError(f'{self.ann_file}: image id {img_id!r} is not '
                                '<video %04d>_<frame %04d>_<city>_<seq>_<frame>')
            ann = annotations.get(img_id)
            if 'annotations' in content and ann is None:
                raise DataError(f'{self.ann_file}: image {img_info["file_name"]!r} (id {img_id!r}) has no '
                                'annotation (add one, or remove the image from "images")')
            seg_map_path = osp.join(self.data_prefix['seg'], ann['file_name']) if ann is not None else None
            frames.append(
                self.coco_frame(match.group(1), int(match.group(2)), img_info, ann,
                                osp.join(self.data_prefix['img'], img_info['file_name']), seg_map_path))
        return frames
