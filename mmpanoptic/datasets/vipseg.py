"""VIPSeg video panoptic dataset (124 classes: 58 things, 66 stuff)."""
import os.path as osp
from typing import Any, Dict, List

from mmpanoptic.errors import DataError
from mmpanoptic.registry import DATASETS
from .base_panoptic_dataset import describe, entry_field, index_annotations, index_images, things_first_metainfo
from .base_video_panoptic_dataset import BaseVideoPanopticDataset

# (category_id, name, isthing, colour) of ``panoVIPSeg_categories.json``; raw mask value = id + 1.
VIPSEG_CATEGORIES = (
    (0, 'wall', False, (120, 120, 120)), (1, 'ceiling', False, (180, 120, 120)), (2, 'door', True, (6, 230, 230)),
    (3, 'stair', False, (80, 50, 50)), (4, 'ladder', True, (4, 200, 3)), (5, 'escalator', False, (120, 120, 80)),
    (6, 'Playground_slide', False, (140, 140, 140)), (7, 'handrail_or_fence', False, (204, 5, 255)),
    (8, 'window', True, (230, 230, 230)), (9, 'rail', False, (4, 250, 7)), (10, 'goal', True, (224, 5, 255)),
    (11, 'pillar', False, (235, 255, 7)), (12, 'pole', False, (150, 5, 61)), (13, 'floor', False, (120, 120, 70)),
    (14, 'ground', False, (8, 255, 51)), (15, 'grass', False, (255, 6, 82)), (16, 'sand', False, (143, 255, 140)),
    (17, 'athletic_field', False, (204, 255, 4)), (18, 'road', False, (255, 51, 7)),
    (19, 'path', False, (204, 70, 3)), (20, 'crosswalk', False, (0, 102, 200)),
    (21, 'building', False, (61, 230, 250)), (22, 'house', False, (255, 6, 51)),
    (23, 'bridge', False, (11, 102, 255)), (24, 'tower', False, (255, 7, 71)),
    (25, 'windmill', False, (255, 9, 224)), (26, 'well_or_well_lid', False, (9, 7, 230)),
    (27, 'other_construction', False, (220, 220, 220)), (28, 'sky', False, (255, 9, 92)),
    (29, 'mountain', False, (112, 9, 255)), (30, 'stone', False, (8, 255, 214)), (31, 'wood', False, (7, 255, 224)),
    (32, 'ice', False, (255, 184, 6)), (33, 'snowfield', False, (10, 255, 71)),
    (34, 'grandstand', False, (255, 41, 10)), (35, 'sea', False, (7, 255, 255)), (36, 'river', False, (224, 255, 8)),
    (37, 'lake', False, (102, 8, 255)), (38, 'waterfall', False, (255, 61, 6)), (39, 'water', False, (255, 194, 7)),
    (40, 'billboard_or_Bulletin_Board', False, (255, 122, 8)), (41, 'sculpture', True, (0, 255, 20)),
    (42, 'pipeline', False, (255, 8, 41)), (43, 'flag', True, (255, 5, 153)),
    (44, 'parasol_or_umbrella', True, (6, 51, 255)), (45, 'cushion_or_carpet', False, (235, 12, 255)),
    (46, 'tent', True, (160, 150, 20)), (47, 'roadblock', True, (0, 163, 255)), (48, 'car', True, (140, 140, 140)),
    (49, 'bus', True, (250, 10, 15)), (50, 'truck', True, (20, 255, 0)), (51, 'bicycle', True, (31, 255, 0)),
    (52, 'motorcycle', True, (255, 31, 0)), (53, 'wheeled_machine', False, (255, 224, 0)),
    (54, 'ship_or_boat', True, (153, 255, 0)), (55, 'raft', True, (0, 0, 255)), (56, 'airplane', True, (255, 71, 0)),
    (57, 'tyre', False, (0, 235, 255)), (58, 'traffic_light', False, (0, 173, 255)),
    (59, 'lamp', False, (31, 0, 255)), (60, 'person', True, (11, 200, 200)), (61, 'cat', True, (255, 82, 0)),
    (62, 'dog', True, (0, 255, 245)), (63, 'horse', True, (0, 61, 255)), (64, 'cattle', True, (0, 255, 112)),
    (65, 'other_animal', True, (0, 255, 133)), (66, 'tree', False, (255, 0, 0)), (67, 'flower', False, (255, 163, 0)),
    (68, 'other_plant', False, (255, 102, 0)), (69, 'toy', False, (194, 255, 0)),
    (70, 'ball_net', False, (0, 143, 255)), (71, 'backboard', False, (51, 255, 0)),
    (72, 'skateboard', True, (0, 82, 255)), (73, 'bat', False, (0, 255, 41)), (74, 'ball', True, (0, 255, 173)),
    (75, 'cupboard_or_showcase_or_storage_rack', False, (10, 0, 255)), (76, 'box', True, (173, 255, 0)),
    (77, 'traveling_case_or_trolley_case', True, (0, 255, 153)), (78, 'basket', True, (255, 92, 0)),
    (79, 'bag_or_package', True, (255, 0, 255)), (80, 'trash_can', False, (255, 0, 245)),
    (81, 'cage', False, (255, 0, 102)), (82, 'plate', True, (255, 173, 0)),
    (83, 'tub_or_bowl_or_pot', True, (255, 0, 20)), (84, 'bottle_or_cup', True, (255, 184, 184)),
    (85, 'barrel', True, (0, 31, 255)), (86, 'fishbowl', True, (0, 255, 61)), (87, 'bed', True, (0, 71, 255)),
    (88, 'pillow', True, (255, 0, 204)), (89, 'table_or_desk', True, (0, 255, 194)),
    (90, 'chair_or_seat', True, (0, 255, 82)), (91, 'bench', True, (0, 10, 255)), (92, 'sofa', True, (0, 112, 255)),
    (93, 'shelf', False, (51, 0, 255)), (94, 'bathtub', False, (0, 194, 255)), (95, 'gun', True, (0, 122, 255)),
    (96, 'commode', True, (0, 255, 163)), (97, 'roaster', True, (255, 153, 0)),
    (98, 'other_machine', False, (0, 255, 10)), (99, 'refrigerator', True, (255, 112, 0)),
    (100, 'washing_machine', True, (143, 255, 0)), (101, 'Microwave_oven', True, (82, 0, 255)),
    (102, 'fan', True, (163, 255, 0)), (103, 'curtain', False, (255, 235, 0)), (104, 'textiles', False, (8, 184, 170)),
    (105, 'clothes', False, (133, 0, 255)), (106, 'painting_or_poster', True, (0, 255, 92)),
    (107, 'mirror', True, (184, 0, 255)), (108, 'flower_pot_or_vase', True, (255, 0, 31)),
    (109, 'clock', True, (0, 184, 255)), (110, 'book', False, (0, 214, 255)), (111, 'tool', False, (255, 0, 112)),
    (112, 'blackboard', False, (92, 255, 0)), (113, 'tissue', False, (0, 224, 255)),
    (114, 'screen_or_television', True, (112, 224, 255)), (115, 'computer', True, (70, 184, 160)),
    (116, 'printer', True, (163, 0, 255)), (117, 'Mobile_phone', True, (153, 0, 255)),
    (118, 'keyboard', True, (71, 255, 0)), (119, 'other_electronic_product', False, (255, 0, 163)),
    (120, 'fruit', False, (255, 204, 0)), (121, 'food', False, (255, 0, 143)), (122, 'instrument', True, (0, 255, 235)),
    (123, 'train', True, (133, 255, 0)))


@DATASETS.register_module()
class VIPSegDataset(BaseVideoPanopticDataset):
    """VIPSeg after the official preparation (``tools/dataset_converters/vipseg.py`` writes the same
    files; ``data_root='data/VIPSeg_720P/'``)::

        images/<video>/<frame %08d>.jpg
        panomasksRGB/<video>/<frame %08d>.png            # COCO RGB ids, one colour per object per video
        panoptic_gt_VIPSeg_{train,val}.json              # {videos, annotations, categories}

    The JSON holds ``videos: [{video_id, images: [{id, file_name, height, width}]}]`` and
    ``annotations: [{video_id, annotations: [{image_id, file_name, segments_info}]}]``. The frame index
    is the number in the file name (frames are subsampled, so indices need not be contiguous); the image
    is ``<stem><img_suffix>`` in the video's image folder. Labels are things first (58), then stuff (66).
    Video K-Net's stuff-first order is not used.

    Args:
        img_suffix (str): image file extension. Defaults to '.jpg'.
    """

    METAINFO = things_first_metainfo(VIPSEG_CATEGORIES)
    CONTIGUOUS_FRAMES = False

    def __init__(self, *args, img_suffix: str = '.jpg', **kwargs) -> None:
        self.img_suffix = img_suffix
        super().__init__(*args, **kwargs)

    def load_frames(self) -> List[dict]:
        content = self.read_ann_file(required=('videos', ))
        videos = self._index_videos(content['videos'], 'videos', 'images')
        video_annotations = self._index_videos(content.get('annotations', []), 'annotations', 'annotations')
        unknown = sorted(set(video_annotations) - set(videos))
        if unknown:
            raise DataError(f'{self.ann_file}: "annotations" has videos {unknown[:5]} that are not in "videos"')
        frames = []
        for video_id, video in videos.items():
            source = f'{self.ann_file} (video {video_id!r})'
            images = index_images(video['images'], source)
            annotations = index_annotations(video_annotations.get(video_id, {}).get('annotations', []), images,
                                            source)
            for img_id, img_info in images.items():
                stem = osp.splitext(img_info['file_name'])[0]
                if not stem.isdigit():
                    raise DataError(f'{source}: frame {img_info["file_name"]!r} is not named by its frame index')
                ann = annotations.get(img_id)
                if 'annotations' in content and ann is None:
                    raise DataError(f'{source}: frame {img_info["file_name"]!r} has no annotation (add one, or '
                                    'remove the frame from "videos")')
                seg_map_path = osp.join(self.data_prefix['seg'], video_id, ann['file_name']) if ann else None
                frames.append(
                    self.coco_frame(video_id, int(stem), img_info, ann,
                                    osp.join(self.data_prefix['img'], video_id, stem + self.img_suffix),
                                    seg_map_path))
        return frames

    def _index_videos(self, entries: Any, list_key: str, items_key: str) -> Dict[str, dict]:
        """Map video id (as a string) -> entry of the ``videos`` or ``annotations`` list, each entry with a
        ``video_id`` and an ``items_key`` list; two entries of one video raise a ``DataError``."""
        if not isinstance(entries, list):
            raise DataError(f'{self.ann_file}: "{list_key}" must be a list, found {describe(entries)}')
        index = {}
        for position, entry in enumerate(entries):
            where = f'{self.ann_file}: {list_key}[{position}]'
            video_id = str(entry_field(entry, 'video_id', where))
            entry_field(entry, items_key, where)
            if video_id in index:
                raise DataError(f'{self.ann_file}: video {video_id!r} is listed twice in "{list_key}" (keep one)')
            index[video_id] = entry
        return index
