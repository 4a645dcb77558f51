"""Packing of panoptic training/testing samples, for images and for clips."""
import numpy as np
from mmcv.transforms import to_tensor
from mmdet.datasets.transforms import PackDetInputs, PackTrackInputs
from mmdet.structures.bbox import BaseBoxes
from mmengine.structures import PixelData

from mmpanoptic.registry import TRANSFORMS


def _sem_seg(seg_map: np.ndarray) -> PixelData:
    """``PixelData`` with ``sem_seg`` (1, H, W) uint8 tensor and metainfo ``ignore_index=255``."""
    sem_seg = PixelData(sem_seg=to_tensor(seg_map[None, ...].copy()))
    sem_seg.set_metainfo(dict(ignore_index=255))
    return sem_seg


@TRANSFORMS.register_module()
class PackPanopticInputs(PackDetInputs):
    """mmdet's :class:`PackDetInputs` that also packs the instance ids.

    The data sample gets ``gt_instances`` with ``masks`` (BitmapMasks (N, H, W)), ``bboxes`` (N, 4),
    ``labels`` (N,) and ``instances_ids`` (N,) of the things, and ``gt_sem_seg.sem_seg`` (1, H, W) uint8
    with contiguous labels and 255 = VOID (``metainfo['ignore_index'] = 255``).

    Args:
        meta_keys (tuple[str]): keys copied to the data sample's metainfo. The default adds
            ``seg_map_path`` and ``segments_info`` to mmdet's, which the panoptic metrics read.
    """
    mapping_table = dict(PackDetInputs.mapping_table, gt_instances_ids='instances_ids')

    def __init__(self,
                 meta_keys: tuple = ('img_id', 'img_path', 'seg_map_path', 'segments_info', 'ori_shape',
                                     'img_shape', 'scale_factor', 'flip', 'flip_direction')) -> None:
        super().__init__(meta_keys=meta_keys)

    def transform(self, results: dict) -> dict:
        packed = super().transform(results)
        if 'gt_seg_map' in results:
            packed['data_samples'].gt_sem_seg = _sem_seg(results['gt_seg_map'])
        return packed


@TRANSFORMS.register_module()
class PackVideoPanopticInputs(PackTrackInputs):
    """mmdet's :class:`PackTrackInputs` that also packs the semantic map of every frame.

    ``inputs`` is a (T, 3, H, W) tensor; ``data_samples`` is a ``TrackDataSample`` whose
    ``video_data_samples[t]`` has ``gt_instances`` (``masks``, ``bboxes``, ``labels``,
    ``instances_ids``; ids persistent over the sequence; boxes as (N, 4) tensors), ``gt_sem_seg`` (1, H, W) with 255 = VOID and
    metainfo ``video_id``, ``frame_id``, ``seg_map_path`` (the native ground-truth PNG),
    ``seg_map_encoding`` and ``segments_info`` besides mmdet's keys. ``key_frames_inds`` and
    ``ref_frames_inds`` are set when the sample was drawn by a reference-frame sampler.

    Args:
        meta_keys (tuple[str]): keys added to mmdet's default meta keys.
    """

    def __init__(self, meta_keys: tuple = ('seg_map_path', 'seg_map_encoding', 'segments_info')) -> None:
        super().__init__(meta_keys=meta_keys)

    def transform(self, results: dict) -> dict:
        if 'gt_bboxes' in results:
            results = dict(results, gt_bboxes=[b.tensor if isinstance(b, BaseBoxes) else b for b in results['gt_bboxes']])
        packed = super().transform(results)
        if 'gt_seg_map' in results:
            for sample, seg_map in zip(packed['data_samples'].video_data_samples, results['gt_seg_map']):
                sample.gt_sem_seg = _sem_seg(seg_map)
        return packed
