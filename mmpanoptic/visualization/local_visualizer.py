"""Visualizer for panoptic predictions: ground truth and prediction side by side."""
from mmdet.visualization import DetLocalVisualizer

from mmpanoptic.registry import VISUALIZERS


@VISUALIZERS.register_module()
class PanopticLocalVisualizer(DetLocalVisualizer):
    """mmdet's visualizer, registered in the mmpanoptic scope.

    ``add_datasample`` draws the ground truth (left) and the prediction (right) of a ``DetDataSample``
    with ``gt_panoptic_seg``/``pred_panoptic_seg``; segments are filled with their class colour from
    ``dataset_meta['palette']``, things get their own colour per instance.
    """
