"""Tests of YOSOHead and YOSODecoderLayer: shapes, official computation, losses and bad input."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmengine.logging import MMLogger
from mmengine.structures import InstanceData

from mmpanoptic.models.heads import YOSOHead
from mmpanoptic.models.layers import SeparableDynamicConvAttention
from mmpanoptic.utils import register_all_modules

register_all_modules()

B, N, C, H, W = 2, 12, 32, 16, 20
NUM_THINGS, NUM_STUFF = 4, 3
TRAIN_CFG = ConfigDict(
    num_points=200,
    oversample_ratio=3.0,
    importance_sample_ratio=0.75,
    assigner=dict(
        type='HungarianAssigner',
        match_costs=[
            dict(type='ClassificationCost', weight=2.0),
            dict(type='CrossEntropyLossCost', weight=5.0, use_sigmoid=True),
            dict(type='DiceCost', weight=5.0, pred_act=True, eps=1.0)
        ]),
    sampler=dict(type='MaskPseudoSampler'))


def _head(attn_type='SeparableDynamicConvAttention', num_stages=2, num_fcs=1, train_cfg=TRAIN_CFG, **kwargs):
    attn_cfg = dict(type=attn_type)
    if attn_type == 'MultiheadCrossAttention':
        attn_cfg['num_heads'] = 4
    head = YOSOHead(
        num_things_classes=NUM_THINGS, num_stuff_classes=NUM_STUFF, in_channels=C, num_queries=N,
        num_stages=num_stages, temperature=0.1,
        layer_cfg=dict(attn_cfg=attn_cfg, num_heads=4, feedforward_channels=64, num_cls_fcs=num_fcs,
                       num_mask_fcs=num_fcs),
        train_cfg=train_cfg, **kwargs)
    head.init_weights()
    return head


def _features(seed=0):
    return torch.randn(B, C, H, W, generator=torch.Generator().manual_seed(seed))


def _gt(num_segments=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    masks = torch.zeros(num_segments, 4 * H, 4 * W, dtype=torch.long)
    for i in range(num_segments):
        y, x = torch.randint(0, 3 * H, (1, ), generator=g).item(), torch.randint(0, 3 * W, (1, ), generator=g).item()
        masks[i, y:y + H, x:x + W] = 1
    labels = torch.randint(0, NUM_THINGS + NUM_STUFF, (num_segments, ), generator=g)
    return InstanceData(labels=labels, masks=masks)


def _metas():
    return [dict(img_shape=(4 * H, 4 * W), batch_input_shape=(4 * H, 4 * W), img_path=f'img{i}.png') for i in range(B)]


def official_forward(head, features):
    """Inference forward of the official YOSOHead/CrossAttenHead, restated with per-image loops, torch's
    sequence-first multi-head attention and plain functional calls on ``head``'s parameters."""
    mask_preds = F.conv2d(features, head.kernels.weight, head.kernels.bias)
    kernels = head.kernels.weight.clone()[None].expand(B, -1, -1, -1, -1).reshape(B, N, C)
    for s, stage in enumerate(head.stages):
        hard = (mask_preds.sigmoid() > 0.5).float()
        f = torch.einsum('bnhw,bchw->bnc', hard, features)

        def sdca(m, query, value):
            w = m.weight_linear(query)
            t = m.kernel_size
            res = []
            for i in range(B):
                out = F.relu(F.conv1d(value[i][None], w[i, :, :t].reshape(N, 1, t), groups=N, padding='same'))
                res.append(F.conv1d(out, w[i, :, t:].reshape(N, N, 1), padding='same'))
            return m.norm(torch.cat(res))

        f = stage.f_atten_norm(f + sdca(stage.f_atten, kernels, f))
        k = stage.k_atten_norm(f + sdca(stage.k_atten, kernels, f))
        k = k.permute(1, 0, 2)
        mha = stage.s_atten.attn
        k_tmp = F.multi_head_attention_forward(
            k, k, k, C, mha.num_heads, mha.in_proj_weight, mha.in_proj_bias, None, None, False, 0.0,
            mha.out_proj.weight, mha.out_proj.bias, training=False, need_weights=False)[0]
        k = stage.s_atten_norm((k + k_tmp).permute(1, 0, 2))
        fc1, fc2 = stage.ffn.layers[0][0], stage.ffn.layers[1]
        obj = stage.ffn_norm(k + fc2(F.relu(fc1(k))))
        cls_feat = obj
        for layer in stage.cls_fcs:
            cls_feat = layer(cls_feat)
        cls_score = stage.fc_cls(cls_feat) / head.temperature
        mask_feat = obj
        for layer in stage.mask_fcs:
            mask_feat = layer(mask_feat)
        mask_preds = torch.einsum('bqc,bchw->bqhw', stage.fc_mask(mask_feat), features)
        kernels = obj
    return cls_score, mask_preds


@pytest.mark.parametrize('num_fcs', [1, 3])
def test_matches_official_computation(num_fcs):
    torch.manual_seed(0)
    head = _head(num_fcs=num_fcs).eval()
    features = _features()
    with torch.no_grad():
        cls_scores, mask_preds = head((features, ), None)
        ref_cls, ref_masks = official_forward(head, features)
    torch.testing.assert_close(cls_scores[-1], ref_cls, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(mask_preds[-1], ref_masks, atol=1e-4, rtol=1e-4)


def test_forward_shapes_train_and_eval():
    head = _head(num_stages=3)
    assert isinstance(head.stages[0].f_atten, SeparableDynamicConvAttention)
    assert head.stages[0].fc_cls.bias[0].item() == pytest.approx(-4.59512, abs=1e-4)
    cls_scores, mask_preds = head((_features(), ), None)
    assert len(cls_scores) == len(mask_preds) == 4
    assert cls_scores[0] is None and all(c.shape == (B, N, NUM_THINGS + NUM_STUFF + 1) for c in cls_scores[1:])
    assert all(m.shape == (B, N, H, W) for m in mask_preds)
    head.eval()
    cls_scores, _ = head((_features(), ), None)
    assert cls_scores[1] is None and cls_scores[2] is None and cls_scores[3] is not None


@pytest.mark.parametrize('attn_type', [
    'SeparableDynamicConvAttention', 'DynamicConvAttention', 'PointwiseDynamicConvAttention',
    'DepthwiseDynamicConvAttention', 'MultiheadCrossAttention'
])
def test_loss_and_gradients_for_every_variant(attn_type):
    torch.manual_seed(0)
    head = _head(attn_type)
    features = _features().requires_grad_()
    cls_scores, mask_preds = head((features, ), None)
    losses = head.loss_by_feat(cls_scores, mask_preds, [_gt(3, 0), _gt(5, 1)], _metas())
    assert set(losses) == {
        's0_loss_mask', 's0_loss_dice', 's1_loss_cls', 's1_loss_mask', 's1_loss_dice', 's2_loss_cls',
        's2_loss_mask', 's2_loss_dice'
    }
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())
    sum(losses.values()).backward()
    assert features.grad.abs().sum() > 0
    assert head.kernels.weight.grad.abs().sum() > 0
    for name, p in head.named_parameters():
        assert p.grad is not None, name


def test_stage0_matching_ignores_class_scores():
    """Uniform class logits add the same cost to every pair, so stage 0 is matched on mask costs only."""
    head = _head()
    torch.manual_seed(0)
    mask_preds = torch.randn(1, N, H, W)
    gt = _gt(4)
    uniform = torch.zeros(1, N, NUM_THINGS + NUM_STUFF + 1)
    torch.manual_seed(1)
    with_uniform = head.criterion.get_targets([uniform[0]], [mask_preds[0]], [gt], _metas()[:1])[0][0]
    costs_no_cls = TRAIN_CFG.deepcopy()
    costs_no_cls.assigner.match_costs = costs_no_cls.assigner.match_costs[1:]
    head_no_cls = _head(train_cfg=costs_no_cls)
    torch.manual_seed(1)
    mask_only = head_no_cls.criterion.get_targets([uniform[0]], [mask_preds[0]], [gt], _metas()[:1])[0][0]
    torch.testing.assert_close(with_uniform, mask_only)


def test_images_without_segments_and_too_few_queries():
    head = _head()
    cls_scores, mask_preds = head((_features(), ), None)
    empty = InstanceData(labels=torch.zeros(0, dtype=torch.long), masks=torch.zeros(0, 4 * H, 4 * W, dtype=torch.long))
    losses = head.loss_by_feat(cls_scores, mask_preds, [empty, empty], _metas())
    assert losses['s2_loss_mask'].item() == 0 and losses['s2_loss_cls'].item() > 0
    crowded = _gt(N + 3)
    logger = MMLogger.get_current_instance()
    records = []
    handler = type('H', (__import__('logging').Handler, ), {'emit': lambda self, r: records.append(r.getMessage())})()
    logger.addHandler(handler)
    try:
        losses = head.loss_by_feat(cls_scores, mask_preds, [crowded, _gt(2)], _metas())
    finally:
        logger.removeHandler(handler)
    assert any('only num_queries=12 proposals' in r and 'img0.png' in r for r in records)
    assert all(torch.isfinite(v) for v in losses.values())


def test_bad_configuration():
    with pytest.raises(ValueError, match='num_classes \\+ 1'):
        _head(criterion=dict(type='MaskSetCriterion',
                             loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, class_weight=[1.0] * 3)))
    with pytest.raises(ValueError, match='at least one decoder stage'):
        _head(num_stages=0)


def test_same_losses_as_before_the_criterion_moved_out():
    """``tests/data/head_reference.pt`` holds the weights and losses of this file's head recorded when
    YOSOHead still inherited Mask2FormerHead's methods (commit feb1533); the head with its
    :class:`MaskSetCriterion` gives the same losses for the same weights and inputs."""
    import os.path as osp
    reference = torch.load(osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'data',
                                    'head_reference.pt'), weights_only=True)['yoso']
    head = _head()
    head.load_state_dict(reference['state'], strict=True)
    cls_scores, mask_preds = head((_features(), ), None)
    torch.manual_seed(7)
    losses = head.loss_by_feat(cls_scores, mask_preds, [_gt(3, 0), _gt(5, 1)], _metas())
    assert set(losses) == set(reference['losses'])
    for key, value in reference['losses'].items():
        torch.testing.assert_close(losses[key].detach(), value, rtol=0, atol=0, msg=key)
