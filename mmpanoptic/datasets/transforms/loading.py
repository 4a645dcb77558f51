"""Loading of panoptic ground truth in every encoding the datasets of this package use."""
from typing import Optional, Tuple

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from mmengine.fileio import get

from mmpanoptic.registry import TRANSFORMS
from mmpanoptic.structures.panoptic_encoding import IGNORE_INDEX, STEP_SHIFT, STEP_VOID, coco_ids, step_fields

STEP_ID_OFFSET = 1 << STEP_SHIFT  # key of a thing instance: category id * 2^16 + track id


@TRANSFORMS.register_module()
class LoadPanopticGT(BaseTransform):
    """Load a panoptic ground-truth PNG and derive the semantic map and the thing instances.

    Two encodings, chosen by ``results['seg_map_encoding']`` (``'coco'`` when absent, so the data infos
    of mmdet's :class:`CocoPanopticDataset` work unchanged):

    * ``'coco'``: RGB PNG with ``id = R + 256 G + 256^2 B`` (0 = VOID) described by
      ``results['segments_info']`` (``{id, category, is_thing}``; crowd regions have ``is_thing=False``).
      The instance id of a thing is its segment id.
    * ``'step'``: KITTI-STEP RGB PNG with R = dataset category id (255 = VOID) and ``G * 256 + B`` =
      track id, mapped by ``results['category_ids']`` (category id of each contiguous label) and
      ``results['num_things']``. A thing pixel with track id 0 is crowd (no instance); a track id on a
      stuff class is an error. The instance id of a thing is ``category_id * 2^16 + track id``.

    Instance ids are unique within an image and, for video datasets, identical for the same object in
    every frame of a sequence.

    Added keys:

    - gt_seg_map (np.uint8, (H, W)): contiguous labels (things first, then stuff); crowd regions carry
      their class, VOID is ``255``.
    - gt_masks (BitmapMasks, (N, H, W)): the non-crowd thing segments.
    - gt_bboxes (HorizontalBoxes, (N, 4)): their tight boxes, x1y1x2y2.
    - gt_bboxes_labels (np.int64, (N,)), gt_instances_ids (np.int64, (N,)),
      gt_ignore_flags (bool, (N,), all False).

    Nothing is added when ``seg_map_path`` is None (inference without ground truth).

    Errors (``ValueError``/``IOError`` naming the PNG): unreadable or corrupt PNG, a PNG whose size
    differs from the original image (``ori_shape``, else ``img``, else ``height``/``width``), a PNG id absent from
    ``segments_info``, an unknown STEP category, a STEP track id on a stuff class.

    Args:
        imdecode_backend (str): backend of :func:`mmcv.imfrombytes`. Defaults to 'cv2'.
        backend_args (dict, optional): file backend arguments. Defaults to None.
    """

    def __init__(self, imdecode_backend: str = 'cv2', backend_args: Optional[dict] = None) -> None:
        self.imdecode_backend = imdecode_backend
        self.backend_args = backend_args

    def _read_png(self, path: str) -> np.ndarray:
        png = mmcv.imfrombytes(get(path, backend_args=self.backend_args), flag='color', channel_order='bgr',
                               backend=self.imdecode_backend)
        if png is None or png.ndim != 3:
            raise IOError(f'{path}: cannot decode the panoptic PNG (corrupt or not an image)')
        return png[..., ::-1].astype(np.int32)

    @staticmethod
    def _expected_shape(results: dict) -> Optional[Tuple[int, int]]:
        # The original image size: test pipelines resize the image before loading the ground truth, which
        # the metrics read at the original size.
        if results.get('ori_shape') is not None:
            return tuple(results['ori_shape'][:2])
        if results.get('img') is not None:
            return tuple(results['img'].shape[:2])
        if results.get('height') is not None and results.get('width') is not None:
            return int(results['height']), int(results['width'])
        return None

    @staticmethod
    def _decode_coco(png: np.ndarray, results: dict, path: str) -> Tuple[np.ndarray, np.ndarray, list]:
        """Per-pixel labels and the thing segments of a COCO-panoptic PNG.

        Returns:
            tuple: ``seg`` (H, W) uint8 labels, ``index`` (H, W) int64 segment index per pixel (0 = VOID,
            ``i + 1`` = ``segments_info[i]``) and ``[(index, label, instance_id)]`` of the thing segments.
        """
        pan = coco_ids(png)
        segments = results.get('segments_info', [])
        seg_ids = np.array([0] + [s['id'] for s in segments], dtype=np.int64)
        labels = np.array([IGNORE_INDEX] + [s['category'] for s in segments], dtype=np.uint8)
        order = np.argsort(seg_ids)
        pos = np.searchsorted(seg_ids[order], pan).clip(max=len(seg_ids) - 1)
        index = order[pos]
        unknown = seg_ids[index] != pan
        if unknown.any():
            raise ValueError(f'{path}: segment ids {np.unique(pan[unknown])[:10].tolist()} of the PNG are not in '
                             'the annotation\'s segments_info')
        things = [(i + 1, s['category'], s['id']) for i, s in enumerate(segments) if s['is_thing']]
        return labels[index], index, things

    @staticmethod
    def _decode_step(png: np.ndarray, results: dict, path: str) -> Tuple[np.ndarray, np.ndarray, list]:
        """Per-pixel labels and the thing instances of a KITTI-STEP PNG (see class docstring).

        Returns:
            tuple: ``seg`` (H, W) uint8 labels, ``index`` (H, W) int64 index of the pixel's instance in the
            sorted instance keys and ``[(index, label, instance_id)]`` of the thing instances.
        """
        category_ids = results['category_ids']
        num_things = results['num_things']
        lut = np.full(256, -1, dtype=np.int64)
        lut[STEP_VOID] = IGNORE_INDEX
        for label, cat_id in enumerate(category_ids):
            lut[cat_id] = label
        semantic, track = step_fields(png)
        seg = lut[semantic]
        if (seg < 0).any():
            bad = np.unique(semantic[seg < 0]).tolist()
            raise ValueError(f'{path}: unknown category ids {bad} in the R channel; known: '
                             f'{list(category_ids)} and {STEP_VOID} (void)')
        is_thing = seg < num_things
        if (track[~is_thing] > 0).any():
            bad = np.unique(semantic[~is_thing & (track > 0)]).tolist()
            raise ValueError(f'{path}: instance ids on stuff or void category ids {bad}; KITTI-STEP only gives '
                             'track ids to thing classes')
        key = np.where(is_thing & (track > 0), semantic * STEP_ID_OFFSET + track, -1)
        uniques, inverse = np.unique(key, return_inverse=True)
        inverse = inverse.reshape(key.shape)
        things = [(i, int(lut[k // STEP_ID_OFFSET]), int(k)) for i, k in enumerate(uniques) if k >= 0]
        return seg.astype(np.uint8), inverse, things

    def transform(self, results: dict) -> dict:
        path = results.get('seg_map_path')
        if path is None:
            return results
        png = self._read_png(path)
        expected = self._expected_shape(results)
        if expected is not None and tuple(png.shape[:2]) != expected:
            raise ValueError(f'{path}: panoptic PNG is {png.shape[1]}x{png.shape[0]} (WxH) but its image '
                             f'{results.get("img_path")} is {expected[1]}x{expected[0]}')
        encoding = results.get('seg_map_encoding', 'coco')
        if encoding == 'coco':
            seg, index, things = self._decode_coco(png, results, path)
        elif encoding == 'step':
            seg, index, things = self._decode_step(png, results, path)
        else:
            raise ValueError(f'{path}: unknown seg_map_encoding {encoding!r}; expected "coco" or "step"')
        height, width = seg.shape
        masks = np.stack([index == i for i, _, _ in things]).astype(np.uint8) if things else np.zeros(
            (0, height, width), dtype=np.uint8)
        gt_masks = BitmapMasks(masks, height, width)
        results['gt_seg_map'] = seg
        results['gt_masks'] = gt_masks
        results['gt_bboxes'] = gt_masks.get_bboxes(HorizontalBoxes)
        results['gt_bboxes_labels'] = np.array([label for _, label, _ in things], dtype=np.int64)
        results['gt_instances_ids'] = np.array([inst for _, _, inst in things], dtype=np.int64)
        results['gt_ignore_flags'] = np.zeros(len(things), dtype=bool)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(imdecode_backend={self.imdecode_backend!r}, backend_args={self.backend_args})'
