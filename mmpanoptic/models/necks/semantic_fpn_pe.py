"""Semantic FPN with a sine positional encoding on its coarsest level (K-Net's ``SemanticFPNWrapper``)."""
from typing import List, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmdet.models.layers import SinePositionalEncoding
from mmengine.model import BaseModule
from mmengine.model.weight_init import normal_init
from torch import Tensor

from mmpanoptic.registry import MODELS


@MODELS.register_module()
class SemanticFPNWithPE(BaseModule):
    """Fuse FPN levels P2-P5 at the resolution of P3 (stride 8) and return two 1x1 heads.

    Level ``l`` (stride ``4 * 2**l``) goes through ``convs_all_levels[l]``: P2 one stride-2 conv; P3 one
    conv; P4 conv, upsample x2, conv; P5 plus a normalised sine positional encoding, then conv, upsample,
    conv, upsample, conv. Each conv is 3x3 + GN + ReLU; upsampling is bilinear. The sum of the levels goes
    through ``conv_pred`` (localisation features) and ``aux_convs[0]`` (semantic features), both
    1x1 + GN + ReLU. Module names follow K-Net's ``SemanticFPNWrapper``.

    Args:
        in_channels (int): channels of the FPN levels. Defaults to 256.
        feat_channels (int): channels of the level convs. Defaults to 256.
        out_channels (int): channels of the two outputs. Defaults to 256.
        num_levels (int): FPN levels used, from P2. Defaults to 4.
        pe_num_feats (int): positional encoding features per axis. Defaults to 128.
        norm_cfg (dict): Defaults to GN with 32 groups.
        init_cfg (dict, optional): initialisation config (convs N(0, 0.01) by default).
    """

    def __init__(self,
                 in_channels: int = 256,
                 feat_channels: int = 256,
                 out_channels: int = 256,
                 num_levels: int = 4,
                 pe_num_feats: int = 128,
                 norm_cfg: dict = dict(type='GN', num_groups=32, requires_grad=True),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if 2 * pe_num_feats != in_channels:
            raise ValueError(f'the positional encoding has 2 * {pe_num_feats} channels, the input {in_channels}')
        self.positional_encoding = SinePositionalEncoding(num_feats=pe_num_feats, normalize=True)

        def conv(cin, stride=1):
            return ConvModule(cin, feat_channels, 3, stride=stride, padding=1, norm_cfg=norm_cfg, inplace=False)

        self.convs_all_levels = nn.ModuleList()
        first = nn.Sequential()
        first.add_module('conv0', conv(in_channels, stride=2))
        self.convs_all_levels.append(first)
        for level in range(1, num_levels):
            layers = nn.Sequential()
            for j in range(level):
                layers.add_module(f'conv{j}', conv(in_channels if j == 0 else feat_channels))
                if j < level - 1:
                    layers.add_module(f'upsample{j}', nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False))
            self.convs_all_levels.append(layers)
        self.conv_pred = ConvModule(feat_channels, out_channels, 1, norm_cfg=norm_cfg)
        self.aux_convs = nn.ModuleList([ConvModule(feat_channels, out_channels, 1, norm_cfg=norm_cfg)])

    def init_weights(self) -> None:
        super().init_weights()
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                normal_init(m, std=0.01)

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, Tensor]:
        """
        Args:
            inputs (Sequence[Tensor]): FPN levels from P2, level ``l`` of shape (B, C, H/2**(l+2), W/2**(l+2)).

        Returns:
            tuple[Tensor, Tensor]: localisation and semantic features, each (B, out_channels, H3, W3) with
            (H3, W3) the size of P3.
        """
        if len(inputs) < len(self.convs_all_levels):
            raise ValueError(f'{len(self.convs_all_levels)} FPN levels are needed, got {len(inputs)}')
        size = inputs[1].shape[-2:]
        feats: List[Tensor] = []
        last = len(self.convs_all_levels) - 1
        for level, layers in enumerate(self.convs_all_levels):
            x = inputs[level]
            if level == last:
                ignore = x.new_zeros((x.shape[0], *x.shape[-2:]), dtype=torch.bool)
                x = x + self.positional_encoding(ignore).to(x.dtype)
            x = layers(x)
            if x.shape[-2:] != size:
                x = F.interpolate(x, size, mode='bilinear', align_corners=False)
            feats.append(x)
        fused = sum(feats)
        return self.conv_pred(fused), self.aux_convs[0](fused)
