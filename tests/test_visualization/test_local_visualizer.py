"""PanopticLocalVisualizer draws image | ground truth | prediction, small pictures enlarged."""
import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData, PixelData

from mmpanoptic.visualization import PanopticLocalVisualizer


def _sample(semantic, masks, pred):
    """A test-pipeline sample: gt_sem_seg (255 = VOID), gt_instances with ids, and a panoptic prediction."""
    sample = DetDataSample()
    sample.gt_sem_seg = PixelData(sem_seg=torch.as_tensor(semantic)[None])
    sample.gt_instances = InstanceData(masks=BitmapMasks(masks, *semantic.shape), labels=torch.tensor([0]),
                                       instances_ids=torch.tensor([1]))
    sample.pred_panoptic_seg = PixelData(sem_seg=torch.as_tensor(pred)[None])
    return sample


def test_image_gt_and_prediction_side_by_side():
    visualizer = PanopticLocalVisualizer(name='test_visualizer_panels')
    visualizer.dataset_meta = dict(classes=('thing', 'stuff'), thing_classes=('thing', ),
                                   stuff_classes=('stuff', ), palette=[(255, 0, 0), (0, 255, 0)])
    image = np.zeros((16, 20, 3), dtype=np.uint8)
    semantic = np.full((16, 20), 1, dtype=np.int64)
    semantic[4:8, 14:20] = 0  # a thing at the right edge: its caption must stay inside the picture
    masks = (semantic == 0)[None].astype(np.uint8)
    as_prediction = np.where(semantic == 0, 0 + 1 * 1000, 1)
    visualizer.add_datasample('same', image, _sample(semantic, masks, as_prediction))
    drawn = visualizer.get_image()
    scale, width = 16, 20 * 16  # 16 px high pictures are enlarged to 256 px
    assert drawn.shape == (16 * scale, 3 * width + 2 * 4, 3)
    panels = [drawn[:, i * (width + 4):i * (width + 4) + width] for i in range(3)]
    assert not panels[0].any()  # the (black) image
    assert panels[1].any()
    np.testing.assert_array_equal(panels[1], panels[2])  # the same segments and ids give the same drawing
    void = np.full((16, 20), 2, dtype=np.int64)
    visualizer.add_datasample('void', image, _sample(semantic, masks, void))
    assert not visualizer.get_image()[:, 2 * (width + 4):].any()  # an all-VOID prediction paints nothing
