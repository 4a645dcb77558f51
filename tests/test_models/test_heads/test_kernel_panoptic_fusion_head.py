"""KernelPanopticFusionHead: K-Net scores (stuff kernels score their own class), filters, resizing."""
import pytest
import torch
from mmdet.structures import DetDataSample

from mmpanoptic.models.heads import KernelPanopticFusionHead


def _meta(img=(40, 50), pad=(48, 64), ori=(80, 100)):
    return DetDataSample(metainfo=dict(img_shape=img, batch_input_shape=pad, ori_shape=ori))


def test_knet_scores_use_thing_columns_and_stuff_diagonal():
    head = KernelPanopticFusionHead(num_things_classes=2, num_stuff_classes=2, num_bound_kernels=2)
    logits = torch.full((4, 4), -5.0)
    logits[0, 1] = 2.0   # thing kernel: best thing class 1
    logits[0, 3] = 9.0   # stuff columns of thing kernels are ignored
    logits[2, 2] = 1.0   # stuff kernel 0 -> class 2, on its own column only
    logits[3, 2] = 8.0
    scores, labels = head.scores_and_labels(logits)
    assert labels.tolist() == [1, 0, 2, 3]
    torch.testing.assert_close(scores[[0, 2, 3]], torch.tensor([2.0, 1.0, -5.0]).sigmoid())


@pytest.mark.parametrize('merge', ['iterative', 'parallel'])
@pytest.mark.parametrize('mask_resize', ['pad_crop', 'direct'])
def test_prediction_size_and_things_threshold(merge, mask_resize):
    head = KernelPanopticFusionHead(num_things_classes=2, num_stuff_classes=1, num_bound_kernels=1,
                                    test_cfg=dict(merge=merge, mask_resize=mask_resize))
    cls = torch.full((1, 3, 3), -6.0)
    cls[0, 0, 0] = 3.0      # confident thing
    cls[0, 1, 1] = -2.0     # thing below 0.3
    cls[0, 2, 2] = 0.0      # stuff (no threshold)
    masks = torch.full((1, 3, 12, 16), -8.0)
    masks[0, 0, :6, :8] = 8
    masks[0, 1, 6:, :8] = 8
    masks[0, 2, :, 8:] = 8
    pan = head.predict(cls, masks, [_meta()])[0]['pan_results'].sem_seg
    assert pan.shape == (1, 80, 100)
    values = set(pan.unique().tolist())
    assert values == {0 + 1000, 2, 3}  # the thing, the stuff and void (the rejected thing's pixels)


def test_invalid_test_cfg():
    with pytest.raises(ValueError, match='merge'):
        KernelPanopticFusionHead(test_cfg=dict(merge='fast'))
