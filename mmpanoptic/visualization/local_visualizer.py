"""Visualizer for panoptic predictions: image, ground truth and prediction side by side."""
from typing import Optional

import cv2
import numpy as np
from mmdet.visualization import DetLocalVisualizer

from mmpanoptic.registry import VISUALIZERS
from .track_drawing import draw_panoptic_gt, enlarge, prediction_parts

# Pictures smaller than this (height, px) are enlarged by an integer factor, nearest neighbour.
MIN_HEIGHT = 256


@VISUALIZERS.register_module()
class PanopticLocalVisualizer(DetLocalVisualizer):
    """mmdet's visualizer, registered in the mmpanoptic scope, drawing panoptic samples.

    ``add_datasample`` draws ``image | ground truth | prediction`` (the panels it has) of a ``DetDataSample``
    with ``gt_sem_seg``/``gt_instances`` and ``pred_panoptic_seg``, as ``tools/misc/show_panoptic_results.py``
    does: stuff in its class colour, each thing in the colour of its instance id with an outline and a
    ``<class> <id>`` caption kept inside the picture. Pictures lower than :data:`MIN_HEIGHT` px are enlarged.
    The class names and palette come from ``dataset_meta``.
    """

    def _gt_parts(self, data_sample, shape):
        semantic = data_sample.gt_sem_seg.sem_seg[0].cpu().numpy().astype(np.int64)
        instances = data_sample.get('gt_instances')
        if instances is None or len(instances) == 0:
            return semantic, np.zeros((0, ) + shape, bool), [], []
        masks = instances.masks
        masks = masks.to_ndarray() if hasattr(masks, 'to_ndarray') else masks.cpu().numpy()
        ids = instances.instances_ids.tolist() if 'instances_ids' in instances else list(range(1, len(masks) + 1))
        return semantic, masks.astype(bool), instances.labels.tolist(), [int(i) for i in ids]

    def add_datasample(self, name: str, image: np.ndarray, data_sample=None, draw_gt: bool = True,
                       draw_pred: bool = True, show: bool = False, wait_time: float = 0, out_file: Optional[str] = None,
                       pred_score_thr: float = 0.3, step: int = 0) -> None:
        """Draw ``image`` (H, W, 3) RGB with the sample's ground truth and prediction; show, save or log it.

        Args: as :meth:`DetLocalVisualizer.add_datasample` (``pred_score_thr`` is unused: panoptic maps have
        no scores).
        """
        image = image.clip(0, 255).astype(np.uint8)
        classes = self.dataset_meta.get('classes')
        palette = self.dataset_meta.get('palette')
        num_things = len(self.dataset_meta.get('thing_classes', ()))
        scale = max(1, -(-MIN_HEIGHT // image.shape[0]))
        big = enlarge(image, scale)
        panels = [big]
        parts = []
        if data_sample is not None and draw_gt and 'gt_sem_seg' in data_sample:
            parts.append(self._gt_parts(data_sample, image.shape[:2]))
        if data_sample is not None and draw_pred and 'pred_panoptic_seg' in data_sample:
            panoptic = data_sample.pred_panoptic_seg.sem_seg[0].cpu().numpy().astype(np.int64)
            parts.append(prediction_parts(panoptic, len(classes), num_things))
        for semantic, masks, labels, ids in parts:
            if semantic.shape != image.shape[:2]:
                semantic = cv2.resize(semantic.astype(np.int32), image.shape[1::-1], interpolation=cv2.INTER_NEAREST)
                masks = np.stack([cv2.resize(m.astype(np.uint8), image.shape[1::-1], interpolation=cv2.INTER_NEAREST)
                                  for m in masks]).astype(bool) if len(masks) else masks.reshape(0, *image.shape[:2])
            panels.append(draw_panoptic_gt(big, enlarge(semantic, scale), enlarge(masks, scale), labels, ids, classes,
                                           palette))
        gap = np.full((big.shape[0], 4, 3), 255, np.uint8)
        drawing = np.concatenate([p for panel in panels for p in (panel, gap)][:-1], axis=1)
        self.set_image(drawing)
        if show:
            self.show(drawing, win_name=name, wait_time=wait_time)
        if out_file is not None:
            cv2.imwrite(out_file, drawing[..., ::-1])
        else:
            self.add_image(name, drawing, step)
