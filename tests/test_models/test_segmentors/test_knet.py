"""K-Net / RT-K-Net segmentors: shapes, a few training steps, bad input."""
import copy

import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.structures import InstanceData, PixelData

from mmpanoptic.registry import MODELS
from mmpanoptic.utils import register_all_modules

register_all_modules()

KNET_BASE = 'configs/_base_/models/knet_s3_r50_fpn_panoptic.py'
RTKNET_BASE = 'configs/_base_/models/rtknet_rtformer-b.py'
KNET_SYNTH = 'configs/knet/knet_s3_r18-tiny_fpn_synthetic-shapes.py'
RTKNET_SYNTH = 'configs/rtknet/rtknet_rtformer-tiny_synthetic-shapes.py'


def _sample(h=64, w=64, things=True, pad=(64, 64)):
    sample = DetDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w), batch_input_shape=pad, pad_shape=pad))
    sem = torch.full((1, h, w), 4, dtype=torch.long)
    sem[:, h // 2:] = 5
    masks = torch.zeros(2 if things else 0, h, w, dtype=torch.uint8)
    if things:
        masks[0, 5:20, 5:30] = 1
        masks[1, 30:50, 30:60] = 1
        sem[0][masks[0].bool()] = 0
        sem[0][masks[1].bool()] = 2
    labels = torch.tensor([0, 2]) if things else torch.zeros(0, dtype=torch.long)
    sample.gt_instances = InstanceData(labels=labels, masks=BitmapMasks(masks.numpy(), h, w))
    sample.gt_sem_seg = PixelData(sem_seg=sem)
    return sample


def _model(path):
    cfg = Config.fromfile(path)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


@pytest.mark.slow
@pytest.mark.parametrize('path', [KNET_SYNTH, RTKNET_SYNTH])
def test_forward_shapes_and_a_few_training_steps(path):
    torch.manual_seed(0)
    model = _model(path)
    images = torch.randn(2, 3, 64, 64)
    samples = [_sample(), _sample()]
    optim = torch.optim.AdamW(model.parameters(), lr=1e-3)
    totals = []
    for _ in range(8):
        losses = model.loss(images, copy.deepcopy(samples))
        total = sum(v for k, v in losses.items() if 'loss' in k)
        optim.zero_grad()
        total.backward()
        optim.step()
        totals.append(total.item())
    assert all(torch.isfinite(torch.tensor(totals)))
    assert totals[-1] < 0.8 * totals[0], totals
    model.eval()
    with torch.no_grad():
        cls, masks = model.panoptic_head.predict(model.extract_feat(images), samples)
        results = model.predict(images, copy.deepcopy(samples))
    num_kernels = cls.shape[1]
    assert cls.shape == (2, num_kernels, 7) and masks.shape[:2] == (2, num_kernels)
    pan = results[0].pred_panoptic_seg.sem_seg
    assert pan.shape == (1, 64, 64) and pan.dtype == torch.long


@pytest.mark.parametrize('path', [KNET_SYNTH, RTKNET_SYNTH])
def test_bad_input_is_handled(path):
    model = _model(path)
    # an image without things and a crop that contains only void
    no_things = _sample(things=False)
    void = _sample(things=False)
    void.gt_sem_seg = PixelData(sem_seg=torch.full((1, 64, 64), 255, dtype=torch.long))
    losses = model.loss(torch.randn(2, 3, 64, 64), [no_things, void])
    assert all(torch.isfinite(v).all() for v in losses.values())
    # an input whose size is not divisible by the stride (no padding)
    model.eval()
    with torch.no_grad():
        odd = _sample(50, 70, pad=(50, 70))
        results = model.predict(torch.randn(1, 3, 50, 70), [odd])
    assert results[0].pred_panoptic_seg.sem_seg.shape == (1, 50, 70)
    missing = _sample()
    del missing.gt_sem_seg
    with pytest.raises(ValueError, match='gt_sem_seg'):
        model.train()
        model.loss(torch.randn(2, 3, 64, 64), [missing, copy.deepcopy(missing)])
