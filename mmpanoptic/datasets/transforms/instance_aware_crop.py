"""Random crop that prefers windows containing the centre of a thing."""
from typing import Optional, Tuple

import numpy as np
from mmcv.transforms.utils import cache_randomness
from mmdet.datasets.transforms import RandomCrop

from mmpanoptic.registry import TRANSFORMS


@TRANSFORMS.register_module()
class InstanceAwareRandomCrop(RandomCrop):
    """mmdet's :class:`RandomCrop` whose window is re-drawn until it contains the centroid of a thing.

    Up to ``max_tries`` windows are drawn uniformly; the first one that contains the centroid (mean
    pixel position, rounded) of a thing mask in ``gt_masks`` is used, otherwise the last one drawn (as
    in RT-K-Net's instance-aware crop). Images without things get a plain random crop. Everything
    else (crop size types, boxes, masks, ``gt_seg_map``, ``gt_instances_ids``) is :class:`RandomCrop`'s;
    ``allow_negative_crop`` defaults to True because a panoptic crop with stuff only is valid.

    The window is cached like :class:`RandomCrop`'s, so inside a ``TransformBroadcaster`` with
    ``share_random_params=True`` every frame of a clip gets the window chosen for the first frame.

    Args:
        crop_size (tuple): as in :class:`RandomCrop`, (width, height) for ``'absolute'``.
        max_tries (int): windows drawn before falling back to the last one. Defaults to 10.
        allow_negative_crop (bool): keep crops without any thing box. Defaults to True.
        **kwargs: other arguments of :class:`RandomCrop`.
    """
    # mmcv's ``cache_randomness`` appends to the inherited list in place; keep a copy of our own.
    _methods_with_randomness = list(RandomCrop._methods_with_randomness)

    def __init__(self, crop_size: tuple, max_tries: int = 10, allow_negative_crop: bool = True, **kwargs) -> None:
        super().__init__(crop_size=crop_size, allow_negative_crop=allow_negative_crop, **kwargs)
        if max_tries < 1:
            raise ValueError(f'max_tries must be >= 1, got {max_tries}')
        self.max_tries = max_tries
        self._centroids: Optional[np.ndarray] = None
        self._crop_hw: Tuple[int, int] = (0, 0)

    @staticmethod
    def thing_centroids(results: dict) -> np.ndarray:
        """Rounded centroids (K, 2) as (y, x) of the non-empty thing masks of ``results``."""
        masks = results.get('gt_masks')
        if masks is None or len(masks) == 0:
            return np.zeros((0, 2), dtype=np.int64)
        bboxes = masks.get_bboxes('hbox').tensor.numpy().astype(np.int64)
        centroids = []
        for mask, (x1, y1, x2, y2) in zip(masks.masks, bboxes):
            window = mask[y1:y2, x1:x2]
            area = window.sum()
            if area == 0:
                continue
            ys = (window.sum(axis=1) * np.arange(y1, y2)).sum() / area
            xs = (window.sum(axis=0) * np.arange(x1, x2)).sum() / area
            centroids.append((round(ys), round(xs)))
        return np.array(centroids, dtype=np.int64).reshape(-1, 2)

    def _rand_offset(self, margin: Tuple[int, int]) -> Tuple[int, int]:
        return self._instance_aware_offset(margin)

    @cache_randomness
    def _instance_aware_offset(self, margin: Tuple[int, int]) -> Tuple[int, int]:
        """(offset_h, offset_w) of the window, see class docstring."""
        margin_h, margin_w = margin
        crop_h, crop_w = self._crop_hw
        for _ in range(self.max_tries):
            offset_h = np.random.randint(0, margin_h + 1)
            offset_w = np.random.randint(0, margin_w + 1)
            ys, xs = self._centroids[:, 0], self._centroids[:, 1]
            inside = (ys >= offset_h) & (ys < offset_h + crop_h) & (xs >= offset_w) & (xs < offset_w + crop_w)
            if inside.any():
                break
        return offset_h, offset_w

    def _crop_data(self, results: dict, crop_size: Tuple[int, int], allow_negative_crop: bool) -> Optional[dict]:
        self._centroids = self.thing_centroids(results)
        self._crop_hw = crop_size
        return super()._crop_data(results, crop_size, allow_negative_crop)

    def __repr__(self) -> str:
        return f'{super().__repr__()[:-1]}, max_tries={self.max_tries})'
