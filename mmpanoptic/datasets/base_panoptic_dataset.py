"""Image panoptic datasets stored in the COCO-panoptic file format, with an explicit category map.

Every dataset of this package declares, in its ``METAINFO``, the contiguous label order (things first,
then stuff) and the dataset category id of each label (``category_ids``). Labels never depend on the
order of the categories in an annotation file, which is what makes datasets whose category ids
interleave things and stuff (Cityscapes, Mapillary Vistas, ADE20K, VIPSeg) come out things-first.

The checks of the annotation entries (:func:`index_images`, :func:`index_annotations`,
:func:`convert_segments`) are shared with the video datasets; each raises a
:class:`~mmpanoptic.errors.DataError` whose message starts with the annotation file.
"""
import logging
import os.path as osp
from typing import Any, Dict, List, Sequence, Tuple, Union

from mmdet.datasets import CocoPanopticDataset
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from mmpanoptic.errors import ConfigError, DataError
from mmpanoptic.fileio import load_json
from mmpanoptic.registry import DATASETS

ImageId = Union[int, str]


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


def is_int(value: Any) -> bool:
    """Whether ``value`` is an int of the JSON file (``True``/``False`` are not)."""
    return isinstance(value, int) and not isinstance(value, bool)


def describe(value: Any) -> str:
    """``value`` for an error message, with its type when it is not an int: ``99``, ``'1' (str)``."""
    return repr(value) if is_int(value) else f'{value!r} ({type(value).__name__})'


def entry_field(entry: Any, key: str, where: str) -> Any:
    """``entry[key]`` of an annotation entry, or a ``DataError`` naming ``where`` (file and entry)."""
    if not isinstance(entry, dict):
        raise DataError(f'{where}: expected an object, found {describe(entry)}')
    if key not in entry:
        raise DataError(f'{where}: no "{key}" (keys: {sorted(entry)})')
    return entry[key]


def category_to_label(metainfo: dict, owner: str) -> Dict[int, int]:
    """The map from dataset category id to contiguous label declared by ``metainfo``.

    Args:
        metainfo (dict): with ``classes``, ``thing_classes``, ``stuff_classes`` and ``category_ids``.
        owner (str): name used in error messages.

    Returns:
        dict[int, int]: category id -> label in ``[0, len(classes))``.

    Raises:
        ConfigError: the metainfo (``METAINFO`` or the ``metainfo`` argument) is inconsistent.
    """
    classes = tuple(metainfo['classes'])
    if classes != tuple(metainfo['thing_classes']) + tuple(metainfo['stuff_classes']):
        raise ConfigError(f'{owner} metainfo: "classes" must be "thing_classes" followed by "stuff_classes"')
    category_ids = metainfo.get('category_ids')
    if category_ids is None or len(category_ids) != len(classes):
        raise ConfigError(f'{owner} metainfo: needs "category_ids" with one id per class '
                          f'({len(classes)} classes)')
    if len(set(category_ids)) != len(category_ids):
        raise ConfigError(f'{owner} metainfo: "category_ids" has duplicates: {category_ids}')
    return {int(cat_id): label for label, cat_id in enumerate(category_ids)}


def check_categories(categories: Any, cat2label: Dict[int, int], num_things: int, source: str) -> None:
    """Raise if a category of an annotation file contradicts the dataset's thing/stuff split.

    Categories the dataset does not declare are allowed (segments of them are not, see
    :func:`convert_segments`).

    Args:
        categories (list[dict]): the ``categories`` list of a COCO-panoptic file.
        cat2label (dict[int, int]): category id -> contiguous label.
        num_things (int): number of thing classes (labels ``< num_things`` are things).
        source (str): the annotation file, for error messages.

    Raises:
        DataError: ``categories`` is not a list, an entry has no int ``id``, or ``isthing`` contradicts
            the dataset.
    """
    if not isinstance(categories, list):
        raise DataError(f'{source}: "categories" must be a list, found {describe(categories)}')
    for position, category in enumerate(categories):
        cat_id = entry_field(category, 'id', f'{source}: categories[{position}]')
        if not is_int(cat_id):
            raise DataError(f'{source}: categories[{position}] ({category.get("name")}): id {describe(cat_id)} '
                            'is not an int (category ids are JSON numbers)')
        label = cat2label.get(cat_id)
        if label is None or 'isthing' not in category:
            continue
        if bool(category['isthing']) != (label < num_things):
            raise DataError(f'{source}: category id {cat_id} ({category.get("name")}) has '
                            f'isthing={category["isthing"]}, but the dataset declares it a '
                            f'{"thing" if label < num_things else "stuff"} class; is the file from '
                            'another dataset or another category-id convention?')


def index_images(images: Any, source: str) -> Dict[ImageId, dict]:
    """Map image id -> entry of an ``images`` list, every entry checked.

    Args:
        images (list[dict]): ``{id (int or str), file_name, height, width}`` entries.
        source (str): the annotation file (and video), for error messages.

    Returns:
        dict: image id -> entry, in the order of the list.

    Raises:
        DataError: ``images`` is not a list; an entry lacks a key, has an id that is neither an int nor a
            string, or a ``height``/``width`` that is not a positive int; two entries have one id.
    """
    if not isinstance(images, list):
        raise DataError(f'{source}: "images" must be a list, found {describe(images)}')
    index = {}
    for position, img_info in enumerate(images):
        where = f'{source}: images[{position}]'
        img_id = entry_field(img_info, 'id', where)
        if isinstance(img_id, bool) or not isinstance(img_id, (int, str)):
            raise DataError(f'{where}: id {describe(img_id)} is neither an int nor a string')
        file_name = entry_field(img_info, 'file_name', where)
        for key in ('height', 'width'):
            size = entry_field(img_info, key, where)
            if not is_int(size) or size <= 0:
                raise DataError(f'{where} (image {img_id!r}): {key} {describe(size)} is not a positive int')
        if img_id in index:
            raise DataError(f'{source}: image id {img_id!r} is listed twice in "images" '
                            f'({index[img_id]["file_name"]!r} and {file_name!r}; keep one)')
        index[img_id] = img_info
    return index


def index_annotations(annotations: Any, images: Dict[ImageId, dict], source: str) -> Dict[ImageId, dict]:
    """Map image id -> entry of an ``annotations`` list, every entry checked against ``images``.

    Args:
        annotations (list[dict]): ``{image_id, file_name, segments_info}`` entries.
        images (dict): image id -> image entry (see :func:`index_images`).
        source (str): the annotation file (and video), for error messages.

    Returns:
        dict: image id -> annotation.

    Raises:
        DataError: ``annotations`` is not a list; an entry lacks a key; its ``image_id`` has another type
            than the ids of ``images`` (``'1'`` for ``1``), or is not listed; two entries annotate one image
            or name one PNG.
    """
    if not isinstance(annotations, list):
        raise DataError(f'{source}: "annotations" must be a list, found {describe(annotations)}')
    id_types = sorted({type(img_id).__name__ for img_id in images})
    index, pngs = {}, {}
    for position, ann in enumerate(annotations):
        where = f'{source}: annotations[{position}]'
        image_id = entry_field(ann, 'image_id', where)
        file_name = entry_field(ann, 'file_name', where)
        segments = entry_field(ann, 'segments_info', where)
        if not isinstance(segments, list):
            raise DataError(f'{where} ({file_name!r}): "segments_info" must be a list, found {describe(segments)}')
        known = not isinstance(image_id, bool) and isinstance(image_id, (int, str)) and image_id in images
        if not known and type(image_id).__name__ not in id_types:
            raise DataError(f'{where} ({file_name!r}): image_id {describe(image_id)} has another type than the '
                            f'ids of "images" ({", ".join(id_types)}); the types differ (write every image id '
                            'the same way in "images" and "annotations")')
        if not known:
            raise DataError(f'{where} ({file_name!r}): image_id {image_id!r} is not in "images"')
        if image_id in index:
            raise DataError(f'{source}: image id {image_id!r} has two annotations '
                            f'({index[image_id]["file_name"]!r} and {file_name!r}; keep one)')
        if file_name in pngs:
            raise DataError(f'{source}: images {pngs[file_name]!r} and {image_id!r} have the same annotation '
                            f'PNG {file_name!r}')
        index[image_id] = ann
        pngs[file_name] = image_id
    return index


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

    Raises:
        DataError: a segment id that is not a positive int or is repeated, a category id that the dataset
            does not declare (named with its type when it is not an int: ``'1' (str)``), a malformed bbox.
    """
    segments_info, instances, seen = [], [], set()
    for position, segment in enumerate(segments):
        segment_id = entry_field(segment, 'id', f'{source}: segments_info[{position}]')
        if not is_int(segment_id) or segment_id < 0:
            raise DataError(f'{source}: segments_info[{position}]: segment id {describe(segment_id)} is not a '
                            'positive int')
        if segment_id == 0:
            raise DataError(f'{source}: segment id 0 is reserved for VOID')
        if segment_id in seen:
            raise DataError(f'{source}: duplicate segment id {segment_id}')
        seen.add(segment_id)
        cat_id = entry_field(segment, 'category_id', f'{source}: segment {segment_id}')
        label = cat2label.get(cat_id) if is_int(cat_id) else None
        if label is None:
            raise DataError(f'{source}: segment {segment_id}: unknown category_id {describe(cat_id)}; known ids: '
                            f'{sorted(cat2label)}')
        iscrowd = bool(segment.get('iscrowd', 0))
        is_thing = label < num_things and not iscrowd
        segments_info.append(dict(id=segment_id, category=label, is_thing=is_thing, iscrowd=iscrowd))
        if is_thing and 'bbox' in segment:
            bbox = segment['bbox']
            if not (isinstance(bbox, list) and len(bbox) == 4
                    and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in bbox)):
                raise DataError(f'{source}: segment {segment_id}: bbox {describe(bbox)} is not [x, y, w, h]')
            x, y, w, h = bbox
            instances.append(dict(bbox=[x, y, x + w, y + h], bbox_label=label, ignore_flag=0))
    return segments_info, instances


def mark_subset(dataset: BaseDataset, total: int, source: str) -> None:
    """Record in the metainfo of a test-mode ``dataset`` that ``indices`` kept fewer than ``total`` items.

    Adds ``subset = dict(ann_file=source, size=len(dataset), total=total, reason='indices=...')`` to
    ``dataset._metainfo`` (the evaluator's ``dataset_meta``) and logs a warning; nothing happens in training,
    without ``indices``, or when ``indices`` keeps every item.

    Args:
        dataset (BaseDataset): a fully initialised dataset.
        total (int): items (images, or videos) of the annotation file.
        source (str): the annotation file (or folder) the items come from.
    """
    indices = dataset._indices
    if not dataset.test_mode or indices is None or len(dataset) >= total:
        return
    if isinstance(indices, int):
        reason = f'indices={indices}'
    else:
        shown = ', '.join(str(i) for i in list(indices)[:5])
        reason = f'indices=[{shown}]' if len(indices) <= 5 else f'indices=[{shown}, ...] ({len(indices)} indices)'
    dataset._metainfo['subset'] = dict(ann_file=source, size=len(dataset), total=total, reason=reason)
    print_log(f'{type(dataset).__name__} ({source}): only {len(dataset)} of {total} items are used ({reason}); '
              'metrics computed on it are partial', logger='current', level=logging.WARNING)


@DATASETS.register_module()
class BasePanopticDataset(CocoPanopticDataset):
    """Base class of the image panoptic datasets in COCO-panoptic format.

    Compared with mmdet's :class:`CocoPanopticDataset`, which it extends, labels come from
    ``METAINFO['category_ids']`` (not from the category order of the file), the annotation PNG is the
    one named by the annotation's ``file_name`` and the file is validated on load:

    * the file is read with :func:`mmpanoptic.fileio.load_json` (JSON only: a pickle is refused; invalid
      JSON is reported with its line and column);
    * an empty file, a file without ``images``, an entry without a required key, an image id listed
      twice, an annotation of an image that is not listed (or whose ``image_id`` has another type than
      the ids of ``images``), two annotations of one image or of one PNG, an unknown category id (named
      with its type when it is not an int), a duplicate segment id and a category whose ``isthing``
      contradicts the dataset raise a :class:`~mmpanoptic.errors.DataError` naming the file (and the
      image);
    * when the file has annotations, every image needs one (``DataError`` otherwise); a file with
      no ``annotations`` at all is an image list for inference (``seg_map_path`` is None).

    ``filter_cfg=dict(filter_empty_gt=True, min_size=32)`` drops, in training only, images without a
    non-crowd thing segment and images smaller than ``min_size``; the counts are logged.

    In test mode, when mmengine's ``indices`` keeps fewer images than the file lists, the metainfo gets
    ``subset = dict(ann_file, size, total, reason)`` (see :func:`mark_subset`), so that the evaluator can
    label its metrics as partial.

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

    def check_file_categories(self, categories: Any) -> None:
        """Raise a ``DataError`` if ``categories`` (of ``ann_file``) contradicts the dataset."""
        check_categories(categories, self.cat2label, len(self.metainfo['thing_classes']), self.ann_file)

    def read_ann_file(self) -> dict:
        """The content of ``ann_file``: a JSON object with a non-empty ``images`` list and categories that
        agree with the dataset (:meth:`check_file_categories`)."""
        content = load_json(self.ann_file, required=('images', ), backend_args=self.backend_args)
        if not content['images']:
            raise DataError(f'{self.ann_file}: empty annotation file (no "images" list)')
        self.check_file_categories(content.get('categories', []))
        return content

    def load_data_list(self) -> List[dict]:
        self.cat2label = category_to_label(self.metainfo, type(self).__name__)
        self.cat_ids = list(self.cat2label)
        num_things = len(self.metainfo['thing_classes'])
        content = self.read_ann_file()
        images = index_images(content['images'], self.ann_file)
        has_annotations = 'annotations' in content
        annotations = index_annotations(content.get('annotations', []), images, self.ann_file)
        data_list = []
        for img_id, img_info in images.items():
            ann = annotations.get(img_id)
            if has_annotations and ann is None:
                raise DataError(f'{self.ann_file}: image {img_info["file_name"]!r} (id {img_id!r}) has no '
                                'annotation (add one, or remove the image from "images")')
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
        self._num_file_images = len(data_list)
        return data_list

    def full_init(self) -> None:
        """mmdet's initialisation, then the ``subset`` metainfo of a partial test set (:func:`mark_subset`)."""
        if self._fully_initialized:
            return
        super().full_init()
        mark_subset(self, self._num_file_images, self.ann_file)

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
