"""Every panoptic encoding of the project, in one place.

* **Model output** (mmdet's panoptic contract): ``label + instance_id * INSTANCE_OFFSET``, things get
  instance ids 1, 2, ..., stuff 0, VOID is ``num_classes`` (:func:`encode_panoptic`, :func:`decode_panoptic`).
* **Ground-truth label maps** (``gt_seg_map``, ``gt_sem_seg``): contiguous labels, ``IGNORE_INDEX`` = 255.
* **COCO-panoptic PNG** (COCO, Cityscapes, ADE20K, Mapillary, Cityscapes-VPS, VIPSeg, the synthetic data):
  RGB with ``id = R + 256 G + 256^2 B``, 0 = VOID (:func:`coco_ids`, :func:`coco_rgb`).
* **KITTI-STEP PNG**: R = class (``STEP_VOID`` = 255), ``G * 256 + B`` = track id (:func:`step_rgb`,
  :func:`step_fields`); :func:`step_ids` packs both fields into one compact integer for histograms.
"""
from typing import Tuple

import numpy as np
from mmdet.evaluation.functional import INSTANCE_OFFSET

IGNORE_INDEX = 255
STEP_VOID = 255
STEP_SHIFT = 16

__all__ = ['INSTANCE_OFFSET', 'IGNORE_INDEX', 'STEP_VOID', 'STEP_SHIFT', 'encode_panoptic', 'decode_panoptic',
           'coco_ids', 'coco_rgb', 'step_rgb', 'step_fields', 'step_ids']


def encode_panoptic(labels, instance_ids):
    """``label + instance_id * INSTANCE_OFFSET`` (numpy arrays or torch tensors)."""
    return labels + instance_ids * INSTANCE_OFFSET


def decode_panoptic(values) -> Tuple:
    """``(labels, instance_ids)`` of :func:`encode_panoptic` values."""
    return values % INSTANCE_OFFSET, values // INSTANCE_OFFSET


def coco_ids(rgb: np.ndarray) -> np.ndarray:
    """COCO-panoptic ids ``R + 256 G + 256^2 B`` of an (H, W, 3) RGB map, int64 (H, W)."""
    rgb = rgb.astype(np.int64)
    return rgb[..., 0] + (rgb[..., 1] << 8) + (rgb[..., 2] << 16)


def coco_rgb(ids: np.ndarray) -> np.ndarray:
    """The (H, W, 3) uint8 RGB map of COCO-panoptic ids (H, W) in ``[0, 2^24)``."""
    ids = np.asarray(ids, dtype=np.int64)
    if ids.size and (ids.min() < 0 or ids.max() >= 1 << 24):
        raise ValueError(f'COCO-panoptic ids must be in [0, 2^24), got {ids.min()}..{ids.max()}')
    return np.stack([ids & 255, (ids >> 8) & 255, (ids >> 16) & 255], axis=-1).astype(np.uint8)


def step_rgb(labels: np.ndarray, track_ids: np.ndarray) -> np.ndarray:
    """KITTI-STEP PNG content (H, W, 3) uint8 RGB: R = class (255 = void), ``G * 256 + B`` = track id."""
    track_ids = np.asarray(track_ids, dtype=np.int64)
    if track_ids.size and (track_ids.min() < 0 or track_ids.max() >= 1 << 16):
        raise ValueError(f'STEP track ids must be in [0, 65536), got {track_ids.min()}..{track_ids.max()}')
    return np.stack([np.asarray(labels).astype(np.uint8), (track_ids >> 8).astype(np.uint8),
                     (track_ids & 255).astype(np.uint8)], axis=-1)


def step_fields(rgb: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """``(class, track_id)`` int64 maps of an (H, W, 3) KITTI-STEP RGB map."""
    rgb = rgb.astype(np.int64)
    return rgb[..., 0], (rgb[..., 1] << 8) | rgb[..., 2]


def step_ids(rgb: np.ndarray) -> np.ndarray:
    """Ids of an (H, W, 3) STEP map as int64 (H, W): ``(R + 1) % 256 << 16 | (G << 8 | B)``.

    Void (R = 255) gets class field 0, so the ids of a map span a small range (fast histogram).
    """
    rgb = rgb.astype(np.int64)
    return (((rgb[..., 0] + 1) & 255) << STEP_SHIFT) | (rgb[..., 1] << 8) | rgb[..., 2]
