"""K-Net / RT-K-Net segmentors: shapes, a few training steps, bad input, official checkpoint layouts."""
import copy
import re

import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config, ConfigDict
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


def _build_full(path):
    cfg = Config.fromfile(path)
    cfg.model.backbone.init_cfg = None
    if cfg.model.backbone.get('norm_cfg', {}).get('type') == 'SyncBN':
        cfg.model.backbone.norm_cfg = dict(type='BN')
        cfg.model.neck.norm_cfg = dict(type='BN')
        cfg.model.panoptic_head.norm_cfg = dict(type='BN')
    return MODELS.build(cfg.model)


# Official keys and shapes from the spec (K-Net mmdet 2.x layout, COCO 133 classes).
KNET_SPEC_KEYS = {
    'rpn_head.init_kernels.weight': (100, 256, 1, 1),
    'rpn_head.conv_seg.weight': (133, 256, 1, 1),
    'rpn_head.conv_seg.bias': (133, ),
    'rpn_head.loc_convs.0.conv.weight': (256, 256, 1, 1),
    'rpn_head.seg_convs.0.gn.weight': (256, ),
    'rpn_head.localization_fpn.convs_all_levels.0.conv0.conv.weight': (256, 256, 3, 3),
    'rpn_head.localization_fpn.convs_all_levels.3.conv2.gn.bias': (256, ),
    'rpn_head.localization_fpn.conv_pred.conv.weight': (256, 256, 1, 1),
    'rpn_head.localization_fpn.aux_convs.0.gn.weight': (256, ),
    'neck.lateral_convs.3.conv.weight': (256, 2048, 1, 1),
    'neck.fpn_convs.0.conv.weight': (256, 256, 3, 3),
    **{f'roi_head.mask_head.{s}.{k}': v for s in range(3) for k, v in {
        'feat_transform.conv.weight': (256, 256, 1, 1),
        'feat_transform.conv.bias': (256, ),
        'kernel_update_conv.dynamic_layer.weight': (512, 256),
        'kernel_update_conv.input_layer.weight': (512, 256),
        'kernel_update_conv.input_gate.weight': (256, 256),
        'kernel_update_conv.update_gate.bias': (256, ),
        'kernel_update_conv.norm_in.weight': (256, ),
        'kernel_update_conv.fc_layer.weight': (256, 256),
        'kernel_update_conv.fc_norm.bias': (256, ),
        'attention.attn.in_proj_weight': (768, 256),
        'attention.attn.out_proj.weight': (256, 256),
        'attention_norm.weight': (256, ),
        'ffn.layers.0.0.weight': (2048, 256),
        'ffn.layers.1.weight': (256, 2048),
        'ffn_norm.bias': (256, ),
        'cls_fcs.0.weight': (256, 256),
        'cls_fcs.1.weight': (256, ),
        'fc_cls.weight': (133, 256),
        'fc_cls.bias': (133, ),
        'mask_fcs.0.weight': (256, 256),
        'mask_fcs.1.bias': (256, ),
        'fc_mask.weight': (256, 256),
    }.items()}
}


def _knet_official_name(key):
    key = re.sub(r'^panoptic_head\.rpn_head\.', 'rpn_head.', key)
    return re.sub(r'^panoptic_head\.iter_head\.stages\.', 'roi_head.mask_head.', key)


def test_official_knet_state_dict_loads_strictly():
    model = _build_full(KNET_BASE)
    ours = model.state_dict()
    official = {_knet_official_name(k): torch.randn(v.shape) if v.is_floating_point() else v for k, v in ours.items()}
    for key, shape in KNET_SPEC_KEYS.items():
        assert tuple(official[key].shape) == shape, key
    assert not any(k.startswith('panoptic_head.') for k in official)
    fresh = _build_full(KNET_BASE)
    fresh.load_state_dict(official, strict=True)
    loaded = fresh.state_dict()
    for key, value in ours.items():
        torch.testing.assert_close(loaded[key], official[_knet_official_name(key)])


# RT-K-Net detectron2 layout: (official key, our key) for one of each kind, from the spec table.
RTKNET_SPEC_PAIRS = {
    'backbone.conv1.0.weight': 'backbone.conv1.0.weight',
    'backbone.layer4.attn_l.k': 'backbone.layer4.attn_l.k',
    'backbone.layer4.down.5.weight': 'backbone.layer4.down.5.weight',
    'sem_seg_head.feature_map_generator.da_ppm.scale0.0.weight': 'neck.dappm.scales.0.bn.weight',
    'sem_seg_head.feature_map_generator.da_ppm.scale0.2.weight': 'neck.dappm.scales.0.conv.weight',
    'sem_seg_head.feature_map_generator.da_ppm.scale4.1.running_mean': 'neck.dappm.scales.4.1.bn.running_mean',
    'sem_seg_head.feature_map_generator.da_ppm.scale2.3.weight': 'neck.dappm.scales.2.1.conv.weight',
    'sem_seg_head.feature_map_generator.da_ppm.process1.0.bias': 'neck.dappm.processes.0.bn.bias',
    'sem_seg_head.feature_map_generator.da_ppm.process4.2.weight': 'neck.dappm.processes.3.conv.weight',
    'sem_seg_head.feature_map_generator.da_ppm.compression.2.weight': 'neck.dappm.compression.conv.weight',
    'sem_seg_head.feature_map_generator.da_ppm.shortcut.0.weight': 'neck.dappm.shortcut.bn.weight',
    'sem_seg_head.feature_map_generator.conv.5.bias': 'neck.conv.5.bias',
    'sem_seg_head.feat_transform.6.weight': 'panoptic_head.feat_transform.6.weight',
    'sem_seg_head.init_kernels.weight': 'panoptic_head.init_kernels.weight',
    'sem_seg_head.sem_seg_head.5.weight': 'panoptic_head.aux_head.5.weight',
    'sem_seg_head.heads.3.adaptive_kernel_update.dynamic_layer.weight':
    'panoptic_head.iter_head.stages.3.kernel_update_conv.dynamic_layer.weight',
    'sem_seg_head.heads.0.kernel_interaction.attention.in_proj_weight':
    'panoptic_head.iter_head.stages.0.attention.attn.in_proj_weight',
    'sem_seg_head.heads.0.kernel_interaction.attention.out_proj.bias':
    'panoptic_head.iter_head.stages.0.attention.attn.out_proj.bias',
    'sem_seg_head.heads.1.kernel_interaction.attention_norm.weight':
    'panoptic_head.iter_head.stages.1.attention_norm.weight',
    'sem_seg_head.heads.1.kernel_interaction.ffn.linear1.weight': 'panoptic_head.iter_head.stages.1.ffn.layers.0.0.weight',
    'sem_seg_head.heads.1.kernel_interaction.ffn.linear2.bias': 'panoptic_head.iter_head.stages.1.ffn.layers.1.bias',
    'sem_seg_head.heads.2.kernel_interaction.ffn.norm.weight': 'panoptic_head.iter_head.stages.2.ffn_norm.weight',
    'sem_seg_head.heads.2.fc_cls.0.weight': 'panoptic_head.iter_head.stages.2.cls_fcs.0.weight',
    'sem_seg_head.heads.2.fc_cls.1.bias': 'panoptic_head.iter_head.stages.2.cls_fcs.1.bias',
    'sem_seg_head.heads.2.fc_cls.3.weight': 'panoptic_head.iter_head.stages.2.fc_cls.weight',
    'sem_seg_head.heads.2.fc_mask.0.weight': 'panoptic_head.iter_head.stages.2.mask_fcs.0.weight',
    'sem_seg_head.heads.2.fc_mask.3.bias': 'panoptic_head.iter_head.stages.2.fc_mask.bias',
}


def _rtknet_official_state_dict(ours):
    inverse = {
        r'^neck\.dappm\.scales\.0\.bn\.': 'sem_seg_head.feature_map_generator.da_ppm.scale0.0.',
        r'^neck\.dappm\.scales\.0\.conv\.': 'sem_seg_head.feature_map_generator.da_ppm.scale0.2.',
        r'^neck\.dappm\.scales\.(\d)\.1\.bn\.': r'sem_seg_head.feature_map_generator.da_ppm.scale\1.1.',
        r'^neck\.dappm\.scales\.(\d)\.1\.conv\.': r'sem_seg_head.feature_map_generator.da_ppm.scale\1.3.',
        r'^neck\.dappm\.processes\.(\d)\.bn\.': r'sem_seg_head.feature_map_generator.da_ppm.process#\1.0.',
        r'^neck\.dappm\.processes\.(\d)\.conv\.': r'sem_seg_head.feature_map_generator.da_ppm.process#\1.2.',
        r'^neck\.dappm\.(compression|shortcut)\.bn\.': r'sem_seg_head.feature_map_generator.da_ppm.\1.0.',
        r'^neck\.dappm\.(compression|shortcut)\.conv\.': r'sem_seg_head.feature_map_generator.da_ppm.\1.2.',
        r'^neck\.conv\.': 'sem_seg_head.feature_map_generator.conv.',
        r'^panoptic_head\.aux_head\.': 'sem_seg_head.sem_seg_head.',
        r'^panoptic_head\.iter_head\.stages\.(\d)\.kernel_update_conv\.': r'sem_seg_head.heads.\1.adaptive_kernel_update.',
        r'^panoptic_head\.iter_head\.stages\.(\d)\.attention\.attn\.': r'sem_seg_head.heads.\1.kernel_interaction.attention.',
        r'^panoptic_head\.iter_head\.stages\.(\d)\.attention_norm\.': r'sem_seg_head.heads.\1.kernel_interaction.attention_norm.',
        r'^panoptic_head\.iter_head\.stages\.(\d)\.ffn\.layers\.0\.0\.': r'sem_seg_head.heads.\1.kernel_interaction.ffn.linear1.',
        r'^panoptic_head\.iter_head\.stages\.(\d)\.ffn\.layers\.1\.': r'sem_seg_head.heads.\1.kernel_interaction.ffn.linear2.',
        r'^panoptic_head\.iter_head\.stages\.(\d)\.ffn_norm\.': r'sem_seg_head.heads.\1.kernel_interaction.ffn.norm.',
        r'^panoptic_head\.iter_head\.stages\.(\d)\.cls_fcs\.': r'sem_seg_head.heads.\1.fc_cls.',
        r'^panoptic_head\.iter_head\.stages\.(\d)\.fc_cls\.': r'sem_seg_head.heads.\1.fc_cls.3.',
        r'^panoptic_head\.iter_head\.stages\.(\d)\.mask_fcs\.': r'sem_seg_head.heads.\1.fc_mask.',
        r'^panoptic_head\.iter_head\.stages\.(\d)\.fc_mask\.': r'sem_seg_head.heads.\1.fc_mask.3.',
        r'^panoptic_head\.': 'sem_seg_head.',
    }
    official = {}
    for key, value in ours.items():
        name = key
        for pattern, repl in inverse.items():
            new = re.sub(pattern, repl, name)
            if new != name:
                name = re.sub(r'process#(\d)', lambda m: f'process{int(m.group(1)) + 1}', new)
                break
        official[name] = value
    return official


def test_official_rtknet_state_dict_loads_strictly_with_class_reordering():
    model = _build_full(RTKNET_BASE)
    ours = {k: torch.randn(v.shape) if v.is_floating_point() else v for k, v in model.state_dict().items()}
    official = _rtknet_official_state_dict(ours)
    for off_key, our_key in RTKNET_SPEC_PAIRS.items():
        assert off_key in official, off_key
        assert official[off_key] is ours[our_key]
    assert official['sem_seg_head.heads.0.fc_cls.3.weight'].shape == (19, 256)
    assert official['sem_seg_head.init_kernels.weight'].shape == (100, 256, 1, 1)
    # official classes are stuff first (11 stuff, then 8 things): rows move to things first on load
    fresh = _build_full(RTKNET_BASE)
    fresh.load_state_dict(dict(model=official), strict=True)
    loaded = fresh.state_dict()
    reorder = list(range(11, 19)) + list(range(11))
    for key, value in ours.items():
        if re.search(r'fc_cls\.(weight|bias)$|aux_head\.5\.weight$', key):
            torch.testing.assert_close(loaded[key], value[reorder])
        else:
            torch.testing.assert_close(loaded[key], value)


def test_checkpoint_of_the_wrong_family_is_rejected():
    knet = _model(KNET_SYNTH)
    rtknet = _model(RTKNET_SYNTH)
    with pytest.raises(ValueError, match='holds a rtknet model'):
        knet.load_state_dict(rtknet.state_dict())
    with pytest.raises(ValueError, match='holds a knet model'):
        rtknet.load_state_dict(_model(KNET_SYNTH).state_dict())
