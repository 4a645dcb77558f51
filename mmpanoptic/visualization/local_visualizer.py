"""Visualizer for panoptic predictions: ground truth and prediction side by side."""
from typing import List, Optional

import numpy as np
from mmdet.visualization import DetLocalVisualizer
from mmengine.structures import PixelData

from mmpanoptic.registry import VISUALIZERS


@VISUALIZERS.register_module()
class PanopticLocalVisualizer(DetLocalVisualizer):
    """mmdet's visualizer, registered in the mmpanoptic scope.

    ``add_datasample`` draws the ground truth (left) and the prediction (right) of a ``DetDataSample``
    with ``gt_panoptic_seg``/``pred_panoptic_seg``; segments are filled with their class colour from
    ``dataset_meta['palette']``, things get their own colour per instance.
    """

    def _draw_panoptic_seg(self, image: np.ndarray, panoptic_seg: PixelData, classes: Optional[List[str]],
                           palette: Optional[List]) -> np.ndarray:
        """Draw the segments; a map that is VOID everywhere (e.g. an untrained model's) leaves the image
        as it is instead of failing as mmdet 3.3's visualizer does."""
        void = panoptic_seg.metainfo.get('ignore_index', len(classes)) if 'label_names' in panoptic_seg \
            else len(classes)
        if not bool((panoptic_seg.sem_seg != void).any()):
            return image
        return super()._draw_panoptic_seg(image, panoptic_seg, classes, palette)

