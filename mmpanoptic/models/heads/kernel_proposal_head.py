"""K-Net's kernel proposal head (``ConvKernelHead``): initial masks and kernels for things and stuff."""
from typing import Sequence

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model.weight_init import bias_init_with_prob
from mmengine.model import BaseModule
from mmengine.model.weight_init import normal_init
from torch import Tensor

from mmpanoptic.models.layers.group_features import assemble_group_features
from mmpanoptic.registry import MODELS
from .kernel_structures import KernelProposals


@MODELS.register_module()
class KernelProposalHead(BaseModule):
    """K-Net's proposal stage of :class:`KernelPanopticHead`: ``num_proposals`` learned thing kernels and one
    stuff kernel per stuff class.

    With ``loc, sem = localization_fpn(P2..P5)``: ``loc' = loc_convs(loc)``, ``sem' = seg_convs(sem)``
    (1x1 + GN + ReLU) and the features ``X = sem' + loc'``.

    * Things: masks ``M_th = init_kernels(loc')`` and kernels ``K_th = init_kernels.weight + G(M_th, X)``
      with ``G`` the (summed, or averaged if ``normalize_group_features``) group features.
    * Stuff: the semantic logits ``S = conv_seg(sem')`` (all classes); stuff masks ``S[:, things:]`` and
      stuff kernels ``conv_seg.weight[things:]`` (no group feature).

    Module names follow K-Net's ``ConvKernelHead``.

    Args:
        num_classes (int): number of classes (things first).
        num_things_classes (int): number of thing classes.
        num_proposals (int): thing kernels. Defaults to 100.
        in_channels (int): channels. Defaults to 256.
        localization_fpn (dict): config of :class:`SemanticFPNWithPE`.
        normalize_group_features (bool): average instead of sum the group features. Defaults to False.
        kernel_init_std (float): std of the normal init of the thing kernels. Defaults to 1.
        norm_cfg (dict): norm of ``loc_convs``/``seg_convs``. Defaults to GN(32).
    """

    def __init__(self,
                 num_classes: int,
                 num_things_classes: int,
                 num_proposals: int = 100,
                 in_channels: int = 256,
                 localization_fpn: dict = dict(type='SemanticFPNWithPE'),
                 normalize_group_features: bool = False,
                 kernel_init_std: float = 1.0,
                 norm_cfg: dict = dict(type='GN', num_groups=32, requires_grad=True),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.num_things_classes = num_things_classes
        self.num_proposals = num_proposals
        self.normalize_group_features = normalize_group_features
        self.kernel_init_std = kernel_init_std
        self.localization_fpn = MODELS.build(localization_fpn)
        self.loc_convs = nn.ModuleList([ConvModule(in_channels, in_channels, 1, norm_cfg=norm_cfg)])
        self.seg_convs = nn.ModuleList([ConvModule(in_channels, in_channels, 1, norm_cfg=norm_cfg)])
        self.init_kernels = nn.Conv2d(in_channels, num_proposals, 1, bias=False)
        self.conv_seg = nn.Conv2d(in_channels, num_classes, 1)

    def init_weights(self) -> None:
        self.localization_fpn.init_weights()
        for conv in (self.loc_convs, self.seg_convs):
            for m in conv.modules():
                if isinstance(m, nn.Conv2d):
                    normal_init(m, std=0.01)
        normal_init(self.conv_seg, std=0.01, bias=bias_init_with_prob(0.01))
        normal_init(self.init_kernels, std=self.kernel_init_std)

    @property
    def num_bound_kernels(self) -> int:
        """Trailing kernels bound to the stuff classes: one per stuff class."""
        return self.num_classes - self.num_things_classes

    def forward(self, feats: Sequence[Tensor]) -> KernelProposals:
        """
        Args:
            feats (Sequence[Tensor]): FPN levels P2..P5.

        Returns:
            KernelProposals: features X (B, C, H, W) at stride 8, kernels (B, N, C) and mask logits
            (B, N, H, W) with N = num_proposals + stuff classes, and the semantic logits
            (B, num_classes, H, W).
        """
        loc, sem = self.localization_fpn(feats)
        for conv in self.loc_convs:
            loc = conv(loc)
        for conv in self.seg_convs:
            sem = conv(sem)
        x = sem + loc
        thing_masks = self.init_kernels(loc)
        seg_logits = self.conv_seg(sem)
        batch_size = x.shape[0]
        group_feats = assemble_group_features(thing_masks, x, self.normalize_group_features)
        thing_kernels = self.init_kernels.weight.flatten(1)[None] + group_feats
        stuff_kernels = self.conv_seg.weight[self.num_things_classes:].flatten(1)[None].expand(batch_size, -1, -1)
        kernels = torch.cat([thing_kernels, stuff_kernels.to(thing_kernels.dtype)], dim=1)
        masks = torch.cat([thing_masks, seg_logits[:, self.num_things_classes:].to(thing_masks.dtype)], dim=1)
        return KernelProposals(x, kernels, masks, seg_logits)
