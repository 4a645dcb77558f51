"""Tests of the YOSO detector: training steps, panoptic and instance outputs, odd image sizes and the
dataset configs (official checkpoint layouts: tests/test_models/test_checkpoint_adapters.py)."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.evaluation.functional import INSTANCE_OFFSET
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.structures import InstanceData, PixelData

from mmpanoptic.registry import MODELS
from mmpanoptic.utils import register_all_modules

register_all_modules()
REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIG = osp.join(REPO, 'configs', 'yoso', 'yoso_r18-tiny_synthetic-shapes.py')


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Small CPU models run many times faster on one thread when the cores are shared."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _model():
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(CONFIG).model)
    model.init_weights()
    return model


def _sample(h, w, seed=0):
    rng = np.random.default_rng(seed)
    sample = DetDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w), img_path=f'synthetic{seed}.png'))
    masks = np.zeros((3, h, w), dtype=np.uint8)
    for i in range(3):
        y, x = rng.integers(0, h // 2), rng.integers(0, w // 2)
        masks[i, y:y + h // 3, x:x + w // 3] = 1
    sample.gt_instances = InstanceData(labels=torch.tensor([0, 1, 3]), masks=BitmapMasks(masks, h, w),
                                       bboxes=torch.zeros(3, 4))
    sem = torch.full((1, h, w), 255, dtype=torch.long)
    sem[:, :h // 4] = 4
    sem[:, -h // 4:] = 6
    sample.gt_sem_seg = PixelData(sem_seg=sem)
    return sample


def _batch(model, h, w, num=2, training=True):
    g = torch.Generator().manual_seed(0)
    data = dict(inputs=[torch.randint(0, 255, (3, h, w), generator=g, dtype=torch.uint8) for _ in range(num)],
                data_samples=[_sample(h, w, i) for i in range(num)])
    return model.data_preprocessor(data, training=training)


@pytest.mark.slow
def test_training_steps_decrease_loss():
    model = _model()
    model.train()
    data = _batch(model, 32, 32)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    totals = []
    for _ in range(6):
        losses = model.loss(data['inputs'], data['data_samples'])
        total = sum(losses.values())
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        totals.append(total.item())
    assert {'s0_loss_mask', 's0_loss_dice', 's2_loss_cls', 's2_loss_mask', 's2_loss_dice'} <= set(losses)
    assert 's0_loss_cls' not in losses
    assert totals[-1] < 0.8 * totals[0], totals


def test_predict_odd_size_panoptic_and_instances():
    model = _model().eval()
    data = _batch(model, 61, 75, training=False)
    assert data['inputs'].shape[-2:] == (64, 96)
    with torch.no_grad():
        results = model.predict(data['inputs'], data['data_samples'])
    assert len(results) == 2
    for result in results:
        pan = result.pred_panoptic_seg.sem_seg
        assert pan.shape == (1, 61, 75) and pan.dtype == torch.int64
        labels = pan % INSTANCE_OFFSET
        assert ((labels >= 0) & (labels <= 7)).all()  # 7 = VOID
        inst = result.pred_instances
        # top-100 (proposal, class) pairs of which the thing classes are kept
        assert 0 < len(inst) <= 100 and inst.masks.shape[1:] == (61, 75)
        assert (inst.labels < 4).all() and ((inst.scores >= 0) & (inst.scores <= 1)).all()


@pytest.mark.parametrize('name, num_classes, queries, temperature, mask_thr, fcs, test_scale', [
    ('yoso_r50_4xb4-368k_coco-panoptic', 133, 100, 0.05, 0.7, 1, (1333, 800)),
    ('yoso_r50_4xb4-368k_coco-panoptic_test-512x800', 133, 100, 0.05, 0.7, 1, (800, 512)),
    ('yoso_r50_4xb4-180k_cityscapes-panoptic', 19, 100, 0.05, 0.8, 3, (2048, 1024)),
    ('yoso_r50_4xb4-180k_cityscapes-panoptic_test-512x1024', 19, 100, 0.05, 0.8, 3, (1024, 512)),
    ('yoso_r50_4xb4-160k_ade20k-panoptic', 150, 100, 0.5, 0.2, 1, (2560, 640)),
    ('yoso_r50_4xb4-300k_mapillary-panoptic', 65, 150, 0.1, 0.0, 3, (2048, 2048)),
])
def test_dataset_configs_follow_official_settings(name, num_classes, queries, temperature, mask_thr, fcs,
                                                  test_scale):
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'yoso', f'{name}.py'))
    head = cfg.model.panoptic_head
    assert cfg.model.num_things_classes + cfg.model.num_stuff_classes == num_classes
    # the counts are typed once, at the top of the model (the segmentor passes them on)
    assert 'num_things_classes' not in head and 'num_things_classes' not in cfg.model.panoptic_fusion_head
    assert head.num_queries == queries and head.temperature == temperature
    assert head.layer_cfg.num_cls_fcs == head.layer_cfg.num_mask_fcs == fcs
    assert cfg.model.test_cfg.score_thr == mask_thr and cfg.model.test_cfg.overlap_thr == 0.8
    assert cfg.optim_wrapper.clip_grad.max_norm == 0.01 and cfg.optim_wrapper.optimizer.lr == 1e-4
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mult == 0.1
    assert cfg.train_dataloader.batch_size * 4 == 16
    resize = [t for t in cfg.test_dataloader.dataset.pipeline if t.type == 'Resize']
    assert tuple(resize[0].scale) == test_scale
