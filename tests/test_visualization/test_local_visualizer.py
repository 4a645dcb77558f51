"""PanopticLocalVisualizer draws ground truth and prediction, also when a prediction is all VOID."""
import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import PixelData

from mmpanoptic.visualization import PanopticLocalVisualizer


def _sample(gt, pred):
    sample = DetDataSample()
    sample.gt_panoptic_seg = PixelData(sem_seg=gt[None])  # mmdet draws ground truth from numpy
    sample.pred_panoptic_seg = PixelData(sem_seg=torch.as_tensor(pred)[None])
    return sample


def test_gt_and_prediction_side_by_side_and_all_void_prediction():
    visualizer = PanopticLocalVisualizer(name='test_visualizer_void')
    visualizer.dataset_meta = dict(classes=('thing', 'stuff'), thing_classes=('thing', ),
                                   stuff_classes=('stuff', ), palette=[(255, 0, 0), (0, 255, 0)])
    image = np.zeros((16, 20, 3), dtype=np.uint8)
    gt = np.full((16, 20), 1, dtype=np.int64)
    gt[4:8, 4:8] = 0 + 1 * 1000
    void_prediction = np.full((16, 20), 2, dtype=np.int64)
    visualizer.add_datasample('void', image, _sample(gt, void_prediction), draw_pred=True, draw_gt=True)
    drawn = visualizer.get_image()
    assert drawn.shape == (16, 40, 3)
    assert drawn[:, :20].any(), 'ground truth drawn on the left'
    assert not drawn[:, 20:].any(), 'an all-VOID prediction leaves the (black) image as it is'
    visualizer.add_datasample('gt_as_pred', image, _sample(gt, gt), draw_pred=True, draw_gt=True)
    both = visualizer.get_image()
    np.testing.assert_array_equal(both[:, :20], both[:, 20:])
