"""RT-K-Net's proposal stage: learned kernels read directly from the transformed features."""
from typing import Sequence

import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor

from mmpanoptic.models.layers.group_features import assemble_group_features
from mmpanoptic.registry import MODELS
from .kernel_structures import KernelProposals


@MODELS.register_module()
class DirectKernelProposalHead(BaseModule):
    """Initial kernels of RT-K-Net for :class:`KernelPanopticHead`.

    From the neck's feature map ``F`` (the last entry of its tuple, (B, C_in, H, W)):
    ``X = feat_transform(F)`` (BN, ReLU, 1x1 no bias, BN, ReLU, 1x1 + bias, BN), ``M0 = init_kernels(X)``
    and ``K0 = init_kernels.weight + G(M0, X)`` for ``num_proposals`` kernels that cover things and stuff
    alike (no class binding; mask-normalised group features by default).

    Args:
        num_classes (int): classes (unused by the module; filled in by the head).
        num_things_classes (int): thing classes (likewise).
        in_channels (int): channels of ``F``. Defaults to 256.
        feat_channels (int): kernel and feature channels. Defaults to 256.
        num_proposals (int): kernels. Defaults to 100.
        normalize_group_features (bool): average instead of sum the group features. Defaults to True.
        norm_cfg (dict): Defaults to BN.
        init_cfg (dict): Defaults to Kaiming-normal (fan out) convolutions with zero biases, as the official code.
    """

    num_bound_kernels = 0

    def __init__(self,
                 num_classes: int,
                 num_things_classes: int,
                 in_channels: int = 256,
                 feat_channels: int = 256,
                 num_proposals: int = 100,
                 normalize_group_features: bool = True,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg: dict = dict(type='Kaiming', layer='Conv2d', mode='fan_out', nonlinearity='relu',
                                       distribution='normal')):
        super().__init__(init_cfg=init_cfg)
        self.num_proposals = num_proposals
        self.normalize_group_features = normalize_group_features

        def norm(channels):
            return build_norm_layer(norm_cfg, channels)[1]

        self.feat_transform = nn.Sequential(
            norm(in_channels), nn.ReLU(inplace=True), nn.Conv2d(in_channels, feat_channels, 1, bias=False),
            norm(feat_channels), nn.ReLU(inplace=True), nn.Conv2d(feat_channels, feat_channels, 1),
            norm(feat_channels))
        self.init_kernels = nn.Conv2d(feat_channels, num_proposals, 1, bias=False)

    def forward(self, feats: Sequence[Tensor]) -> KernelProposals:
        """The neck's tuple -> features X (B, C, H, W), kernels (B, N, C), mask logits (B, N, H, W)."""
        x = self.feat_transform(feats[-1])
        masks = self.init_kernels(x)
        kernels = self.init_kernels.weight.flatten(1)[None] + assemble_group_features(
            masks, x, self.normalize_group_features)
        return KernelProposals(x, kernels, masks)
