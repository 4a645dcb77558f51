"""Image panoptic datasets stored in the COCO-panoptic file format, with an explicit category map.

Every dataset of this package declares, in its ``METAINFO``, the contiguous label order (things first,
then stuff) and the dataset category id of each label (``category_ids``). Labels never depend on the
order of the categories in an annotation file, which is what makes datasets whose category ids
interleave things and stuff (Cityscapes, Mapillary Vistas, ADE20K, VIPSeg) come out things-first.
"""
import os.path as osp
from typing import Dict, List, Sequence, Tuple

from mmdet.datasets import CocoPanopticDataset
from mmengine.fileio import load
from mmengine.logging import print_log

from mmpanoptic.registry import DATASETS


def things_first_metainfo(categories: Sequence[Tuple[int, str, bool, Tuple[int, int, int]]]) -> dict:
    """``METAINFO`` with things first from a category table in dataset order.

    Args:
        categories (Sequence[tuple]): ``(category_id, name, isthing, (r, g, b))`` per category.

    Returns:
        dict: ``classes`` (things, then stuff, each in the table's order), ``thing_classes``,
        ``stuff_classes``, ``palette`` and ``category_ids`` aligned with ``classes``.
    """
    ordered = [c for c in categories if c[2]] + [c for c in categories if not c[2]]
    return dict(
        classes=tuple(c[1] for c in ordered),
        thing_classes=tuple(c[1] for c in ordered if c[2]),
        stuff_classes=tuple(c[1] for c in ordered if not c[2]),
        palette=[tuple(c[3]) for c in ordered],
        category_ids=tuple(c[0] for c in ordered))


def category_to_label(metainfo: dict, owner: str) -> Dict[int, int]:
    """The map from dataset category id to contiguous label declared by ``metainfo``.

    Args:
        metainfo (dict): with ``classes``, ``thing_classes``, ``stuff_classes`` and ``category_ids``.
        owner (str): name used in error messages.

    Returns:
        dict[int, int]: category id -> label in ``[0, len(classes))``.
    """
    classes = tuple(metainfo['classes'])
    if classes != tuple(metainfo['thing_classes']) + tuple(metainfo['stuff_classes']):
        raise ValueError(f'{owner}: "classes" must be "thing_classes" followed by "stuff_classes"')
    category_ids = metainfo.get('category_ids')
    if category_ids is None or len(category_ids) != len(classes):
        raise ValueError(f'{owner}: metainfo needs "category_ids" with one id per class '
                         f'({len(classes)} classes)')
    if len(set(category_ids)) != len(category_ids):
        raise ValueError(f'{owner}: "category_ids" has duplicates: {category_ids}')
    return {int(cat_id): label for label, cat_id in enumerate(category_ids)}


def check_categories(categories: Sequence[dict], cat2label: Dict[int, int], num_things: int, source: str) -> None:
    """Raise if a category of an annotation file contradicts the dataset's thing/stuff split.

    Args:
        categories (Sequence[dict]): the ``categories`` list of a COCO-panoptic file.
        cat2label (dict[int, int]): category id -> contiguous label.
        num_things (int): number of thing classes (labels ``< num_things`` are things).
        source (str): the annotation file, for error messages.
    """
    for category in categories:
        label = cat2label.get(int(category['id']))
        if label is None or 'isthing' not in category:
            continue
        if bool(category['isthing']) != (label < num_things):
            raise ValueError(f'{source}: category id {category["id"]} ({category.get("name")}) has '
                             f'isthing={category["isthing"]}, but the dataset declares it a '
                             f'{"thing" if label < num_things else "stuff"} class; is the file from '
                             'another dataset or another category-id convention?')


def convert_segments(segments: Sequence[dict], cat2label: Dict[int, int], num_things: int,
                     source: str) -> Tuple[List[dict], List[dict]]:
    """Convert COCO-panoptic ``segments_info`` into mmdet's panoptic annotation contract.

    Args:
        segments (Sequence[dict]): ``{id, category_id, iscrowd, bbox (x, y, w, h), area}`` entries.
        cat2label (dict[int, int]): category id -> contiguous label.
        num_things (int): number of thing classes.
        source (str): file and image the segments come from, for error messages.

    Returns:
        tuple[list[dict], list[dict]]: ``segments_info`` entries ``{id, category, is_thing, iscrowd}``
        (``is_thing`` is False for crowd regions, as in mmdet) and ``instances`` entries
        ``{bbox (x1, y1, x2, y2), bbox_label, ignore_flag=0}`` for the non-crowd thing segments.
    """
    segments_info, instances, seen = [], [], set()
    for segment in segments:
        segment_id = int(segment['id'])
        if segment_id == 0:
            raise ValueError(f'{source}: segment id 0 is reserved for VOID')
        if segment_id in seen:
            raise ValueError(f'{source}: duplicate segment id {segment_id}')
        seen.add(segment_id)
        label = cat2label.get(int(segment['category_id']))
        if label is None:
            raise ValueError(f'{source}: unknown category id {segment["category_id"]} '
                             f'(segment {segment_id}); known ids: {sorted(cat2label)}')
        iscrowd = bool(segment.get('iscrowd', 0))
        is_thing = label < num_things and not iscrowd
        segments_info.append(dict(id=segment_id, category=label, is_thing=is_thing, iscrowd=iscrowd))
        if is_thing and 'bbox' in segment:
            x, y, w, h = segment['bbox']
            instances.append(dict(bbox=[x, y, x + w, y + h], bbox_label=label, ignore_flag=0))
    return segments_info, instances


@DATASETS.register_module()
class BasePanopticDataset(CocoPanopticDataset):
    """Base class of the image panoptic datasets in COCO-panoptic format.

    Compared with mmdet's :class:`CocoPanopticDataset`, which it extends, labels come from
    ``METAINFO['category_ids']`` (not from the category order of the file), the annotation PNG is the
    one named by the annotation's ``file_name`` and the file is validated on load:

    * an empty file, a file without ``images``, an annotation of an image that is not listed, two
      annotations of one image, an unknown category id, a duplicate segment id and a category whose
      ``isthing`` contradicts the dataset raise a ``ValueError`` naming the file (and the image);
    * when the file has annotations, every image needs one (``ValueError`` otherwise); a file with
      no ``annotations`` at all is an image list for inference (``seg_map_path`` is None).

    ``filter_cfg=dict(filter_empty_gt=True, min_size=32)`` drops, in training only, images without a
    non-crowd thing segment and images smaller than ``min_size``; the counts are logged.

    Each data info holds ``img_path``, ``img_id``, ``seg_map_path``, ``height``, ``width``,
    ``segments_info`` (``{id, category, is_thing, iscrowd}``, see :func:`convert_segments`) and
    ``instances``. Subclasses choose the file paths by overriding :meth:`image_file`/:meth:`seg_file`.
    """

    METAINFO = dict(classes=(), thing_classes=(), stuff_classes=(), palette=[], category_ids=())

    def image_file(self, img_info: dict) -> str:
        """Path of the image of ``img_info`` (an entry of ``images``)."""
        return osp.join(self.data_prefix['img'], img_info['file_name'])

    def seg_file(self, img_info: dict, ann: dict) -> str:
        """Path of the panoptic PNG of ``ann`` (an entry of ``annotations``)."""
        return osp.join(self.data_prefix['seg'], ann['file_name'])

    def load_data_list(self) -> List[dict]:
        owner = type(self).__name__
        self.cat2label = category_to_label(self.metainfo, owner)
        self.cat_ids = list(self.cat2label)
        num_things = len(self.metainfo['thing_classes'])
        content = load(self.ann_file, backend_args=self.backend_args)
        if not isinstance(content, dict) or not content.get('images'):
            raise ValueError(f'{self.ann_file}: empty annotation file (no "images" list)')
        check_categories(content.get('categories', []), self.cat2label, num_things, self.ann_file)
        images = {}
        for img_info in content['images']:
            if img_info['id'] in images:
                raise ValueError(f'{self.ann_file}: image id {img_info["id"]!r} is listed twice')
            images[img_info['id']] = img_info
        has_annotations = 'annotations' in content
        annotations = {}
        for ann in content.get('annotations', []):
            if ann['image_id'] not in images:
                raise ValueError(f'{self.ann_file}: annotation {ann.get("file_name")!r} refers to image id '
                                 f'{ann["image_id"]!r}, which is not in "images"')
            if ann['image_id'] in annotations:
                raise ValueError(f'{self.ann_file}: image id {ann["image_id"]!r} has two annotations')
            annotations[ann['image_id']] = ann
        data_list = []
        for img_id, img_info in images.items():
            ann = annotations.get(img_id)
            if has_annotations and ann is None:
                raise ValueError(f'{self.ann_file}: image {img_info["file_name"]!r} (id {img_id!r}) has no '
                                 'annotation')
            segments_info, instances = [], []
            seg_map_path = None
            if ann is not None:
                segments_info, instances = convert_segments(
                    ann['segments_info'], self.cat2label, num_things, f'{self.ann_file} (image {img_id!r})')
                seg_map_path = self.seg_file(img_info, ann)
            data_list.append(
                dict(img_path=self.image_file(img_info), img_id=img_id, seg_map_path=seg_map_path,
                     height=img_info['height'], width=img_info['width'], segments_info=segments_info,
                     instances=instances))
        return data_list

    def filter_data(self) -> List[dict]:
        if self.test_mode or self.filter_cfg is None:
            return self.data_list
        filter_empty_gt = self.filter_cfg.get('filter_empty_gt', False)
        min_size = self.filter_cfg.get('min_size', 0)
        kept, empty, small = [], 0, 0
        for data_info in self.data_list:
            if filter_empty_gt and not any(s['is_thing'] for s in data_info['segments_info']):
                empty += 1
            elif min(data_info['width'], data_info['height']) < min_size:
                small += 1
            else:
                kept.append(data_info)
        print_log(f'{type(self).__name__} ({self.ann_file}): kept {len(kept)} of {len(self.data_list)} '
                  f'images; skipped {empty} without thing annotations and {small} smaller than '
                  f'{min_size} px (filter_cfg={self.filter_cfg})', logger='current')
        return kept
