"""Reading panoptic maps and annotation files of every supported format into segment histograms.

Formats:

* COCO panoptic (COCO, Cityscapes, ADE20K, Vistas, Cityscapes-VPS, VIPSeg): RGB PNG with
  ``id = R + 256 G + 256^2 B`` (0 = VOID) and a JSON whose ``segments_info`` gives each id a
  ``category_id`` and ``iscrowd``.
* STEP (KITTI-STEP): RGB PNG with R = class (255 = void) and G * 256 + B = instance (track) id.
* Model predictions: ``label + track_id * INSTANCE_OFFSET`` with VOID = ``num_classes`` (mmdet's
  panoptic contract).

Every function raises a :class:`~mmpanoptic.errors.DataError` (a ``ValueError``) or ``FileNotFoundError``
naming the file and the problem on bad input; nothing is skipped silently.
"""
import numbers
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmengine.fileio import get

from mmpanoptic.errors import DataError
from mmpanoptic.fileio import load_json  # noqa: F401 - part of this module's interface
from mmpanoptic.structures.panoptic_encoding import INSTANCE_OFFSET, STEP_SHIFT, STEP_VOID, coco_ids, step_ids

from .segment_histogram import VOID_LABEL, Lookup, SegmentHistogram, segment_histogram


def read_rgb_png(path: str, backend_args: Optional[dict] = None) -> np.ndarray:
    """Read an 8-bit RGB PNG of ids.

    Returns:
        np.ndarray: uint8 array of shape (H, W, 3) in RGB order.
    """
    try:
        data = get(path, backend_args=backend_args)
    except FileNotFoundError:
        raise FileNotFoundError(f'{path}: file not found.') from None
    image = mmcv.imfrombytes(data, flag='unchanged', backend='cv2')
    if image is None:
        raise DataError(f'{path}: cannot be decoded as an image (corrupt or not a PNG).')
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise DataError(f'{path}: expected an 8-bit RGB PNG of segment ids, got shape {image.shape} and '
                        f'dtype {image.dtype}.')
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise DataError(f'{path}: empty image.')
    return image[..., ::-1]  # cv2 decodes to BGR


def step_lookup(num_classes: int, thing_classes: Sequence[int], name: str, crowd: bool = True,
                category_ids: Optional[Sequence[int]] = None) -> Lookup:
    """Lookup for :func:`step_ids`: label of R (void = -1), crowd = thing class with instance 0.

    Args:
        num_classes (int): number of classes; labels are 0 .. num_classes - 1.
        thing_classes (Sequence[int]): labels whose instance-0 pixels are crowd.
        name (str): file name for errors.
        crowd (bool): compute crowd flags (ground truth) or leave them False (predictions).
        category_ids (Sequence[int], optional): the R value of each label (a dataset's
            ``metainfo['category_ids']``, e.g. KITTI-STEP's things-first labels of Cityscapes trainIds).
            Defaults to R = label. Any other R value except 255 is an error.
    """
    is_thing = np.zeros(num_classes, bool)
    is_thing[list(thing_classes)] = True
    category_ids = range(num_classes) if category_ids is None else category_ids
    if len(category_ids) != num_classes or any(not 0 <= c < STEP_VOID for c in category_ids):
        raise DataError(f'{name}: STEP category ids must be {num_classes} values in 0..{STEP_VOID - 1}, got '
                        f'{list(category_ids)}.')
    r_to_label = np.full(STEP_VOID, -2, np.int64)
    r_to_label[list(category_ids)] = np.arange(num_classes)

    def lookup(ids: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        r_values = (ids >> STEP_SHIFT) - 1  # -1 is void (R = 255)
        labels = np.where(r_values < 0, VOID_LABEL, r_to_label[np.maximum(r_values, 0)])
        bad = labels == -2
        if bad.any():
            raise DataError(f'{name}: unknown class value(s) {sorted(set(r_values[bad].tolist()))} in the R '
                            f'channel; expected one of {sorted(category_ids)} or {STEP_VOID} (void).')
        instance = ids & ((1 << STEP_SHIFT) - 1)
        flags = (instance == 0) & (labels >= 0) & is_thing[np.maximum(labels, 0)] if crowd else np.zeros(
            len(ids), bool)
        return labels, flags

    return lookup


def prediction_lookup(num_classes: int, name: str, offset: int = INSTANCE_OFFSET) -> Lookup:
    """Lookup for model predictions ``label + track_id * offset`` with VOID = ``num_classes``."""

    def lookup(ids: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        labels = ids % offset
        bad = (ids < 0) | (labels > num_classes)
        if bad.any():
            raise DataError(f'{name}: predicted panoptic value(s) {ids[bad][:10].tolist()} have a label outside '
                            f'0..{num_classes} (label = value % {offset}, {num_classes} = VOID).')
        labels = np.where(labels == num_classes, VOID_LABEL, labels)
        return labels, np.zeros(len(ids), bool)

    return lookup


def segments_table(segments_info: Sequence[dict], cat2label: Mapping[int, int],
                   name: str) -> Dict[int, Tuple[int, bool]]:
    """``{segment id: (label, iscrowd)}`` of a COCO-panoptic ``segments_info`` list.

    Args:
        segments_info (Sequence[dict]): entries ``{id, category_id, iscrowd}``.
        cat2label (Mapping[int, int]): category id -> contiguous label.
        name (str): the file (and image) for errors.

    Raises:
        DataError: ``segments_info`` is not a list of objects with ``id`` and ``category_id``, a category id is
            unknown (the message shows its value and type, so that ``'1'`` is told apart from ``1``), an id is
            listed twice or is the reserved id 0.
    """
    if not isinstance(segments_info, (list, tuple)):
        raise DataError(f'{name}: segments_info is a {type(segments_info).__name__}, not a list (write a list of '
                        '{id, category_id, iscrowd} objects)')
    table = {}
    for index, segment in enumerate(segments_info):
        missing = [key for key in ('id', 'category_id') if not isinstance(segment, dict) or key not in segment]
        if missing:
            raise DataError(f'{name}: segments_info[{index}] has no {" and no ".join(missing)} (every segment '
                            'needs id and category_id)')
        segment_id, category_id = segment['id'], segment['category_id']
        if isinstance(segment_id, bool) or not isinstance(segment_id, numbers.Integral):
            raise DataError(f'{name}: segments_info[{index}] has id {segment_id!r} ({type(segment_id).__name__}); '
                            'segment ids are integers (R + 256 G + 256^2 B of the PNG)')
        if isinstance(category_id, bool) or category_id not in cat2label:
            known = list(cat2label)
            kinds = '/'.join(sorted({type(c).__name__ for c in known}))
            raise DataError(f'{name}: segment {segment_id} has unknown category_id {category_id!r} '
                            f'({type(category_id).__name__}); the category ids are {kinds}, e.g. {known[:5]} (use '
                            'the category ids of the ground truth)')
        if segment_id in table:
            raise DataError(f'{name}: segment id {segment_id} is listed twice in segments_info.')
        if segment_id == 0:
            raise DataError(f'{name}: segment id 0 is reserved for VOID but is listed in segments_info.')
        segment_id = int(segment_id)
        table[segment_id] = (cat2label[category_id], bool(segment.get('iscrowd', 0)))
    return table


def mmdet_segments_to_coco(segments_info: Sequence[dict], thing_mask: np.ndarray) -> List[dict]:
    """Convert mmdet's ``segments_info`` (``{id, category, is_thing}``, ``category`` a contiguous label and
    ``is_thing`` False for crowd regions of thing classes) to COCO's ``{id, category_id, iscrowd}``."""
    return [
        dict(id=s['id'], category_id=s['category'],
             iscrowd=int(s.get('iscrowd', bool(thing_mask[s['category']]) and not s.get('is_thing', True))))
        for s in segments_info
    ]


def table_lookup(table: Mapping[int, Tuple[int, bool]], name: str) -> Lookup:
    """Lookup for COCO ids: id 0 is VOID, every other id must be in ``table`` and vice versa."""

    def lookup(ids: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        labels = np.full(len(ids), VOID_LABEL, np.int64)
        crowd = np.zeros(len(ids), bool)
        unknown = []
        for position, segment_id in enumerate(ids.tolist()):
            if segment_id == 0:
                continue
            entry = table.get(segment_id)
            if entry is None:
                unknown.append(segment_id)
                continue
            labels[position], crowd[position] = entry
        if unknown:
            raise DataError(f'{name}: segment id(s) {unknown[:10]} are in the PNG but not in the JSON '
                            'segments_info.')
        missing = set(table) - set(ids.tolist())
        if missing:
            raise DataError(f'{name}: segment id(s) {sorted(missing)[:10]} are listed in the JSON segments_info '
                            'but absent from the PNG.')
        return labels, crowd

    return lookup


class CategoryInfo:
    """Categories of a COCO-panoptic JSON in contiguous label order (the JSON's order).

    Args:
        categories (list[dict]): the JSON's ``categories`` (id, name, isthing).
        source (str): file name for errors.
    """

    def __init__(self, categories: List[dict], source: str) -> None:
        if len(categories) == 0:
            raise DataError(f'{source}: the category list is empty.')
        self.cat_ids = [c['id'] for c in categories]
        if len(set(self.cat_ids)) != len(self.cat_ids):
            raise DataError(f'{source}: duplicated category ids.')
        self.names = [c.get('name', str(c['id'])) for c in categories]
        self.thing_mask = np.array([bool(c.get('isthing', 0)) for c in categories])
        self.cat2label = {cat_id: label for label, cat_id in enumerate(self.cat_ids)}

    @property
    def num_classes(self) -> int:
        return len(self.cat_ids)


def dataset_cat2label(categories: Sequence[dict], dataset_meta: dict, source: str) -> Dict[int, int]:
    """Map the category ids of an annotation file to a dataset's contiguous labels.

    Matches by ``dataset_meta['category_ids']`` (the category id of each label) when the dataset declares
    it, as every dataset of this package does, and by class name otherwise (mmdet's datasets).

    Args:
        categories (Sequence[dict]): the file's ``categories`` (``id``, ``name``).
        dataset_meta (dict): the dataset's metainfo (``classes``, optional ``category_ids``).
        source (str): the file, for errors.

    Raises:
        DataError: for a category the dataset does not have.
    """
    classes = list(dataset_meta['classes'])
    category_ids = dataset_meta.get('category_ids')
    if category_ids:
        known = {int(cat_id): label for label, cat_id in enumerate(category_ids)}
        unknown = [c for c in categories if int(c['id']) not in known]
        if unknown:
            raise DataError(f'{source}: category id(s) {[c["id"] for c in unknown][:10]} (e.g. '
                            f'{unknown[0].get("name")!r}) are not among the dataset\'s category_ids '
                            f'{list(category_ids)}.')
        return {int(c['id']): known[int(c['id'])] for c in categories}
    unknown = [c for c in categories if c['name'] not in classes]
    if unknown:
        raise DataError(f'{source}: category {unknown[0]["name"]!r} (id {unknown[0]["id"]}) is not one of the '
                        f'dataset classes {classes}.')
    return {c['id']: classes.index(c['name']) for c in categories}


@dataclass(frozen=True)
class CocoPanopticPNG:
    """A COCO-panoptic PNG and the ``segments_info`` that describes it; picklable, so that worker
    processes can read it.

    Attributes:
        path (str): the PNG.
        segments_info (Sequence[dict]): COCO entries ``{id, category_id, iscrowd}``.
        cat2label (Mapping[int, int]): category id -> contiguous label.
        backend_args (dict, optional): file backend.
        size (tuple[int, int], optional): (height, width) the PNG must have, e.g. its ``images`` entry.
        size_source (str, optional): where ``size`` comes from, for errors (``gt.json images[id=3]``).
    """
    path: str
    segments_info: Sequence[dict]
    cat2label: Mapping[int, int]
    backend_args: Optional[dict] = None
    size: Optional[Tuple[int, int]] = None
    size_source: Optional[str] = None

    def read(self) -> Tuple[np.ndarray, Lookup]:
        """The (H, W) int64 id map and its lookup (id 0 = VOID; ids and segments_info must agree).

        Raises:
            DataError: the PNG's size is not ``size``.
        """
        ids = coco_ids(read_rgb_png(self.path, self.backend_args))
        if self.size is not None and tuple(ids.shape) != tuple(self.size):
            raise DataError(f'{self.path}: the PNG is {ids.shape[0]}x{ids.shape[1]} (HxW) but {self.size_source} '
                            f'gives height {self.size[0]}, width {self.size[1]} (fix the JSON or the PNG)')
        return ids, table_lookup(segments_table(self.segments_info, self.cat2label, self.path), self.path)


@dataclass(frozen=True)
class StepPanopticPNG:
    """A STEP-encoded PNG (R = class, 255 = void; G * 256 + B = track id); picklable.

    Attributes:
        path (str): the PNG.
        num_classes (int): number of classes.
        thing_classes (Sequence[int]): labels of the tracked thing classes.
        category_ids (Sequence[int], optional): R value of each label; see :func:`step_lookup`.
        crowd (bool): flag thing pixels without track id as crowd (ground truth). Defaults to True.
        backend_args (dict, optional): file backend.
    """
    path: str
    num_classes: int
    thing_classes: Sequence[int]
    category_ids: Optional[Sequence[int]] = None
    crowd: bool = True
    backend_args: Optional[dict] = None

    def read(self) -> Tuple[np.ndarray, Lookup]:
        """The (H, W) int64 id map of :func:`step_ids` and its lookup."""
        ids = step_ids(read_rgb_png(self.path, self.backend_args))
        return ids, step_lookup(self.num_classes, self.thing_classes, self.path, self.crowd, self.category_ids)


PanopticPNG = Union[CocoPanopticPNG, StepPanopticPNG]


def file_histogram(gt: PanopticPNG, pred: PanopticPNG) -> SegmentHistogram:
    """Histogram of a ground-truth PNG against a predicted PNG (the offline tools)."""
    gt_ids, gt_lookup = gt.read()
    pred_ids, pred_lookup = pred.read()
    return segment_histogram(gt_ids, pred_ids, gt_lookup, pred_lookup, name=f'{pred.path} vs {gt.path}')


def prediction_histogram(gt: PanopticPNG, pred: np.ndarray, num_classes: int, name: str) -> SegmentHistogram:
    """Histogram of a ground-truth PNG against a model prediction (the metrics).

    Args:
        gt (PanopticPNG): the ground truth.
        pred (np.ndarray): (H, W) integer map ``label + id * INSTANCE_OFFSET`` with VOID = ``num_classes``.
        num_classes (int): number of classes.
        name (str): the prediction's name for errors (e.g. its image path).
    """
    gt_ids, gt_lookup = gt.read()
    return segment_histogram(gt_ids, pred, gt_lookup, prediction_lookup(num_classes, name),
                             name=f'{name} vs {gt.path}')
