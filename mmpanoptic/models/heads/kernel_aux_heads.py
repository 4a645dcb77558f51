"""Auxiliary losses of :class:`KernelPanopticHead`, one module each (``aux_heads`` of the head's config).

Each takes the proposal stage's output, the neck's features, the ground truth at the mask resolution and
the head's upsampling, and returns a dict of losses.
"""
from typing import Callable, Dict, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor

from mmpanoptic.registry import MODELS
from .kernel_structures import KernelProposals, PanopticTargets

Upsample = Callable[[Tensor], Tensor]


@MODELS.register_module()
class ProposalSemanticLoss(BaseModule):
    """K-Net's ``loss_seg``: sigmoid focal loss of the proposal stage's semantic logits at stride 4.

    The target of a pixel is the class of a stuff mask > 0, overwritten by the label of a thing mask > 0,
    else background (``num_classes``); the loss is averaged over labelled pixels.

    Args:
        num_classes (int): classes (filled in by the head).
        num_things_classes (int): thing classes (likewise).
        loss (dict): the loss. Defaults to mmdet's sigmoid focal loss, weight 1.
    """

    def __init__(self, num_classes: int, num_things_classes: int,
                 loss: dict = dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.num_things_classes = num_things_classes
        self.loss = MODELS.build(loss)

    def forward(self, proposals: KernelProposals, feats: Sequence[Tensor], targets: PanopticTargets,
                upsample: Upsample) -> Dict[str, Tensor]:
        seg_logits = upsample(proposals.seg_logits)
        labels = []
        for thing, stuff_masks in zip(targets.things, targets.stuff):
            target = seg_logits.new_full(seg_logits.shape[-2:], self.num_classes).long()
            for k, mask in enumerate(stuff_masks):
                target[mask > 0] = self.num_things_classes + k
            for label, mask in zip(thing.labels, thing.masks):
                target[mask > 0] = label
            labels.append(target)
        labels = torch.stack(labels)
        num_fg = (labels < self.num_classes).sum().float().clamp(min=1.0)
        flat = seg_logits.permute(0, 2, 3, 1).reshape(-1, self.num_classes).float()
        return dict(loss_seg=self.loss(flat, labels.flatten(), avg_factor=num_fg))


@MODELS.register_module()
class AuxSemanticHead(BaseModule):
    """RT-K-Net's auxiliary semantic head (training only) and its ``loss_seg``.

    ``layers(F)`` (BN, ReLU, 1x1, BN, ReLU, 1x1 -> classes, no biases) on the neck's feature map F, upsampled
    to the mask resolution, against the semantic map (hard-pixel CE by default).

    Args:
        num_classes (int): classes (filled in by the head).
        num_things_classes (int): unused, filled in by the head.
        in_channels (int): channels of F. Defaults to 256.
        feat_channels (int): hidden channels. Defaults to 256.
        norm_cfg (dict): Defaults to BN.
        loss (dict): Defaults to the top-20 % pixel cross-entropy.
        init_cfg (dict): Defaults to Kaiming-normal (fan out) convolutions, as the official code.
    """

    def __init__(self, num_classes: int, num_things_classes: int, in_channels: int = 256, feat_channels: int = 256,
                 norm_cfg: dict = dict(type='BN'),
                 loss: dict = dict(type='TopKPixelCrossEntropyLoss', top_k_percent=0.2),
                 init_cfg: dict = dict(type='Kaiming', layer='Conv2d', mode='fan_out', nonlinearity='relu',
                                       distribution='normal')):
        super().__init__(init_cfg=init_cfg)

        def norm(channels):
            return build_norm_layer(norm_cfg, channels)[1]

        self.layers = nn.Sequential(
            norm(in_channels), nn.ReLU(inplace=True), nn.Conv2d(in_channels, feat_channels, 1, bias=False),
            norm(feat_channels), nn.ReLU(inplace=True), nn.Conv2d(feat_channels, num_classes, 1, bias=False))
        self.loss = MODELS.build(loss)

    def forward(self, proposals: KernelProposals, feats: Sequence[Tensor], targets: PanopticTargets,
                upsample: Upsample) -> Dict[str, Tensor]:
        return dict(loss_seg=self.loss(upsample(self.layers(feats[-1])), targets.semantic))


@MODELS.register_module()
class InstanceDiscriminationAux(BaseModule):
    """RT-K-Net's ``loss_inst_disc``: the contrastive loss of the proposal features X at the mask resolution.

    Args:
        num_classes (int): unused, filled in by the head.
        num_things_classes (int): unused, filled in by the head.
        loss (dict): Defaults to :class:`InstanceDiscriminationLoss`.
    """

    def __init__(self, num_classes: int, num_things_classes: int,
                 loss: dict = dict(type='InstanceDiscriminationLoss'), init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.loss = MODELS.build(loss)

    def forward(self, proposals: KernelProposals, feats: Sequence[Tensor], targets: PanopticTargets,
                upsample: Upsample) -> Dict[str, Tensor]:
        x = upsample(proposals.feats)
        segments = targets.segments
        num = max(len(s.labels) for s in segments)
        padded = x.new_zeros((len(segments), max(num, 1), *x.shape[-2:]))
        for i, seg in enumerate(segments):
            padded[i, :len(seg.labels)] = seg.masks
        return dict(loss_inst_disc=self.loss(x, padded))
