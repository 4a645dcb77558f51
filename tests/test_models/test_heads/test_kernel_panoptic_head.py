"""KernelPanopticHead: K-Net's and RT-K-Net's heads as one head with a proposal stage, update stages and
auxiliary losses.

``tests/data/head_reference.pt`` (keys ``knet``, ``rtknet``) holds the weights, losses and last-stage logits
of tiny K-Net and RT-K-Net heads recorded with the previous, separate implementations (``KNetHead``,
``RTKNetHead``, commit feb1533) on the inputs below: the one head gives the same losses and logits for the
same weights.
"""
import os.path as osp
import re

import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData, PixelData

from mmpanoptic.models.heads import KernelHeadOutput
from mmpanoptic.registry import MODELS
from mmpanoptic.utils import register_all_modules

register_all_modules()
REFERENCE = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'data',
                     'head_reference.pt')
C, T, S, H = 8, 2, 2, 64
STAGE = dict(type='KernelUpdateHead', in_channels=C, feat_channels=C, num_heads=2, feedforward_channels=16,
             num_cls_fcs=1, num_mask_fcs=1)
ASSIGNER = dict(type='KernelHungarianAssigner', match_costs=[
    dict(type='FocalLossCost', weight=2.0), dict(type='KernelDiceCost', weight=4.0),
    dict(type='KernelMaskCost', weight=1.0)])
HEADS = dict(
    knet=dict(
        type='KernelPanopticHead', num_things_classes=T, num_stuff_classes=S,
        proposal_head=dict(type='KernelProposalHead', num_proposals=6, in_channels=C,
                           localization_fpn=dict(type='SemanticFPNWithPE', in_channels=C, feat_channels=C,
                                                 out_channels=C, pe_num_feats=C // 2,
                                                 norm_cfg=dict(type='GN', num_groups=4)),
                           norm_cfg=dict(type='GN', num_groups=4)),
        iter_head=dict(type='KernelIterHead', num_stages=2, stage_cfg=dict(STAGE, with_feat_transform=True),
                       assigner=ASSIGNER),
        aux_heads=dict(semantic=dict(type='ProposalSemanticLoss'))),
    rtknet=dict(
        type='KernelPanopticHead', num_things_classes=T, num_stuff_classes=S,
        proposal_head=dict(type='DirectKernelProposalHead', in_channels=C, feat_channels=C, num_proposals=6),
        iter_head=dict(type='KernelIterHead', num_stages=2, assign_on='current', upsample_test_masks=False,
                       stage_cfg=dict(STAGE, with_feat_transform=False, normalize_group_features=True),
                       assigner=ASSIGNER, loss_rank=dict(type='MaskRankLoss', target_mode='argmax', loss_weight=0.1)),
        aux_heads=dict(
            semantic=dict(type='AuxSemanticHead', in_channels=C, feat_channels=C),
            instance_discrimination=dict(type='InstanceDiscriminationAux',
                                         loss=dict(type='InstanceDiscriminationLoss', num_samples=64)))))
# Parameter names of the previous heads -> KernelPanopticHead's; loss keys likewise.
RENAMES = [(r'^rpn_head\.', 'proposal_head.'), (r'^(feat_transform|init_kernels)', r'proposal_head.\1'),
           (r'^aux_head\.', 'aux_heads.semantic.layers.')]
LOSS_RENAMES = {'loss_rpn_mask': 'init_loss_mask', 'loss_rpn_dice': 'init_loss_dice',
                'loss_rpn_rank': 'init_loss_rank', 'loss_rpn_seg': 'loss_seg'}


def _samples():
    out = []
    for i in range(2):
        sem = torch.full((1, H, H), T, dtype=torch.long)
        sem[:, H // 2:] = T + 1
        masks = torch.zeros(2, H, H, dtype=torch.uint8)
        masks[0, 4 + i:20, 6:30] = 1
        masks[1, 34:60, 30 + i:58] = 1
        sem[0][masks[0].bool()] = 0
        sem[0][masks[1].bool()] = 1
        sample = DetDataSample(metainfo=dict(img_shape=(H, H), ori_shape=(H, H), batch_input_shape=(H, H),
                                             pad_shape=(H, H)))
        sample.gt_instances = InstanceData(labels=torch.tensor([0, 1]), masks=BitmapMasks(masks.numpy(), H, H))
        sample.gt_sem_seg = PixelData(sem_seg=sem)
        out.append(sample)
    return out


def _feats(family):
    if family == 'knet':
        gen = torch.Generator().manual_seed(3)
        return [torch.randn(2, C, H // 4 // 2**i, H // 4 // 2**i, generator=gen) for i in range(4)]
    return (torch.randn(2, C, H // 8, H // 8, generator=torch.Generator().manual_seed(4)), )


@pytest.mark.parametrize('family', ['knet', 'rtknet'])
def test_same_losses_and_logits_as_the_previous_heads(family):
    reference = torch.load(REFERENCE, weights_only=True)[family]
    head = MODELS.build(HEADS[family])
    state = {}
    for key, value in reference['state'].items():
        for pattern, repl in RENAMES:
            key = re.sub(pattern, repl, key)
        state[key] = value
    head.load_state_dict(state, strict=True)
    head.eval()
    with torch.no_grad():
        cls, masks = head.predict(_feats(family), _samples())
    torch.testing.assert_close(cls, reference['cls'], rtol=0, atol=0)
    torch.testing.assert_close(masks, reference['masks'], rtol=0, atol=0)
    head.train()
    torch.manual_seed(5)
    losses = head.loss(_feats(family), _samples())
    expected = {LOSS_RENAMES.get(k, k): v for k, v in reference['losses'].items()}
    assert set(losses) == set(expected)
    for key, value in expected.items():
        torch.testing.assert_close(losses[key].detach(), value, rtol=0, atol=0, msg=key)


@pytest.mark.parametrize('family', ['knet', 'rtknet'])
def test_forward_returns_every_stage_kernels(family):
    head = MODELS.build(HEADS[family])
    head.init_weights()
    head.eval()
    with torch.no_grad():
        out = head(_feats(family), _samples())
    assert isinstance(out, KernelHeadOutput) and len(out.stages) == 2
    num_kernels = 6 + (S if family == 'knet' else 0)  # K-Net binds one kernel to each stuff class
    assert out.proposals.kernels.shape == (2, num_kernels, C)
    for kernels, cls, masks in out.stages:
        assert kernels.shape == (2, num_kernels, C) and cls.shape == (2, num_kernels, T + S)
        assert masks.shape == (2, num_kernels, H // 8, H // 8)


def test_unknown_aux_head_argument_raises():
    cfg = dict(HEADS['rtknet'], aux_heads=dict(semantic=dict(type='AuxSemanticHead', in_channel=C)))
    with pytest.raises(TypeError, match='in_channel'):
        MODELS.build(cfg)
