"""Tests of the YOSO detector: training steps, panoptic and instance outputs, odd image sizes, and
loading of official-layout checkpoints (transparently and through the converter tool)."""
import os.path as osp
import re
import sys

import numpy as np
import pytest
import torch
from mmdet.evaluation.functional import INSTANCE_OFFSET
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.runner import load_checkpoint
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


def official_state_dict(model):
    """Our state dict renamed to the official detectron2 layout (written from the official module names)."""
    out = {}
    for key, value in model.state_dict().items():
        if key.startswith('backbone.') and key.endswith('num_batches_tracked'):
            continue  # detectron2's FrozenBatchNorm2d has no such buffer
        k = key
        k = re.sub(r'^backbone\.conv1\.', 'backbone.stem.conv1.', k)
        k = re.sub(r'^backbone\.bn1\.', 'backbone.stem.conv1.norm.', k)
        k = re.sub(r'^backbone\.layer(\d)\.(\d+)\.downsample\.0\.',
                   lambda m: f'backbone.res{int(m[1]) + 1}.{m[2]}.shortcut.', k)
        k = re.sub(r'^backbone\.layer(\d)\.(\d+)\.downsample\.1\.',
                   lambda m: f'backbone.res{int(m[1]) + 1}.{m[2]}.shortcut.norm.', k)
        k = re.sub(r'^backbone\.layer(\d)\.(\d+)\.conv(\d)\.',
                   lambda m: f'backbone.res{int(m[1]) + 1}.{m[2]}.conv{m[3]}.', k)
        k = re.sub(r'^backbone\.layer(\d)\.(\d+)\.bn(\d)\.',
                   lambda m: f'backbone.res{int(m[1]) + 1}.{m[2]}.conv{m[3]}.norm.', k)
        k = re.sub(r'^neck\.deform_conv(\d)\.dcn\.conv_offset\.', r'yoso_neck.deconv.deform_conv\1.dcn_offset.', k)
        k = re.sub(r'^neck\.loc_conv\.', 'yoso_neck.loc_conv.', k)
        k = re.sub(r'^neck\.', 'yoso_neck.deconv.', k)
        k = re.sub(r'^panoptic_head\.stages\.(\d+)\.s_atten\.attn\.', r'yoso_head.mask_heads.\1.s_atten.', k)
        k = re.sub(r'^panoptic_head\.stages\.', 'yoso_head.mask_heads.', k)
        k = re.sub(r'^panoptic_head\.', 'yoso_head.', k)
        out[k] = value.clone()
    out['yoso_head.criterion.empty_weight'] = torch.ones(8)
    return out


def test_official_layout_loads_strictly():
    source = _model()
    official = official_state_dict(source)
    for key in ('backbone.stem.conv1.weight', 'backbone.res2.0.conv1.norm.running_var',
                'backbone.res3.0.shortcut.norm.weight', 'yoso_neck.deconv.deform_conv1.dcn_offset.weight',
                'yoso_neck.deconv.deform_conv3.dcn.weight', 'yoso_neck.deconv.conv_a5.weight',
                'yoso_neck.deconv.bias', 'yoso_neck.loc_conv.weight', 'yoso_head.kernels.bias',
                'yoso_head.mask_heads.1.f_atten.weight_linear.weight', 'yoso_head.mask_heads.0.s_atten.in_proj_weight',
                'yoso_head.mask_heads.0.ffn.layers.0.0.weight', 'yoso_head.mask_heads.0.cls_fcs.1.weight'):
        assert key in official, key
    torch.manual_seed(1)
    target = MODELS.build(Config.fromfile(CONFIG).model)
    target.load_state_dict(official, strict=True)
    for key, value in source.state_dict().items():
        torch.testing.assert_close(target.state_dict()[key], value, msg=key)


def test_converter_tool_and_mmengine_loading(tmp_path):
    sys.path.insert(0, osp.join(REPO, 'tools', 'model_converters'))
    try:
        import yoso_to_mmpanoptic
    finally:
        sys.path.pop(0)
    source = _model()
    official_file = str(tmp_path / 'yoso_official.pth')
    torch.save(dict(model=official_state_dict(source), iteration=1), official_file)
    converted_file = str(tmp_path / 'converted.pth')
    assert yoso_to_mmpanoptic.main([official_file, converted_file]) == len(source.state_dict()) - 20
    for filename in (converted_file, official_file):
        torch.manual_seed(1)
        target = MODELS.build(Config.fromfile(CONFIG).model)
        load_checkpoint(target, filename, map_location='cpu', strict=True)
        torch.testing.assert_close(target.panoptic_head.stages[1].fc_cls.weight,
                                   source.panoptic_head.stages[1].fc_cls.weight)
    not_yoso = str(tmp_path / 'other.pth')
    torch.save(dict(model={'backbone.stem.conv1.weight': torch.zeros(1), 'roi_head.x': torch.zeros(1)}), not_yoso)
    with pytest.raises(SystemExit):
        yoso_to_mmpanoptic.main([not_yoso, str(tmp_path / 'x.pth')])


def test_checkpoint_of_another_family_is_refused():
    model = _model()
    other = {'backbone.conv1.weight': model.backbone.conv1.weight, 'rpn_head.kernels.weight': torch.zeros(3)}
    with pytest.raises(ValueError, match='not a YOSO checkpoint'):
        model.load_state_dict(other, strict=False)
    backbone_only = {k: v for k, v in model.state_dict().items() if k.startswith('backbone.')}
    model.load_state_dict(backbone_only, strict=False)


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
    assert head.num_things_classes + head.num_stuff_classes == num_classes
    assert (cfg.model.panoptic_fusion_head.num_things_classes == head.num_things_classes)
    assert head.num_queries == queries and head.temperature == temperature
    assert head.layer_cfg.num_cls_fcs == head.layer_cfg.num_mask_fcs == fcs
    assert cfg.model.test_cfg.object_mask_thr == mask_thr and cfg.model.test_cfg.iou_thr == 0.8
    assert cfg.optim_wrapper.clip_grad.max_norm == 0.01 and cfg.optim_wrapper.optimizer.lr == 1e-4
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mult == 0.1
    assert cfg.train_dataloader.batch_size * 4 == 16
    resize = [t for t in cfg.test_dataloader.dataset.pipeline if t.type == 'Resize']
    assert tuple(resize[0].scale) == test_scale
