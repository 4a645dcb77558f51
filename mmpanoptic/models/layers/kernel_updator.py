"""Adaptive kernel update (the gated "KernelUpdator" of K-Net)."""
from typing import Optional

import torch.nn as nn
from mmcv.cnn import build_norm_layer
from torch import Tensor

from mmpanoptic.registry import MODELS


@MODELS.register_module()
class KernelUpdator(nn.Module):
    """Update kernels with their group features through two learned gates.

    With ``G`` the group features and ``K`` the kernels::

        [p_in, p_out] = dynamic_layer(G)          [i_in, i_out] = input_layer(K)
        z = i_in * p_in
        g_in = sigmoid(input_norm_in(input_gate(z)))     g_up = sigmoid(norm_in(update_gate(z)))
        K_new = ReLU(fc_norm(fc_layer(g_up * norm_out(p_out) + g_in * input_norm_out(i_out))))

    Parameter names follow K-Net's ``KernelUpdator`` (``kernel_update_conv`` in its checkpoints), so
    official weights load unchanged.

    Args:
        in_channels (int): channels of kernels and group features. Defaults to 256.
        feat_channels (int): channels of the gates. Defaults to 256.
        out_channels (int, optional): channels of the updated kernels; ``in_channels`` if None.
        norm_cfg (dict): normalisation layer. Defaults to LN.
    """

    def __init__(self,
                 in_channels: int = 256,
                 feat_channels: int = 256,
                 out_channels: Optional[int] = None,
                 norm_cfg: dict = dict(type='LN')):
        super().__init__()
        self.in_channels = in_channels
        self.feat_channels = feat_channels
        self.out_channels = out_channels or in_channels
        self.dynamic_layer = nn.Linear(in_channels, 2 * feat_channels)
        self.input_layer = nn.Linear(in_channels, 2 * feat_channels)
        self.input_gate = nn.Linear(feat_channels, feat_channels)
        self.update_gate = nn.Linear(feat_channels, feat_channels)
        self.norm_in = build_norm_layer(norm_cfg, feat_channels)[1]
        self.norm_out = build_norm_layer(norm_cfg, feat_channels)[1]
        self.input_norm_in = build_norm_layer(norm_cfg, feat_channels)[1]
        self.input_norm_out = build_norm_layer(norm_cfg, feat_channels)[1]
        self.fc_layer = nn.Linear(feat_channels, self.out_channels)
        self.fc_norm = build_norm_layer(norm_cfg, self.out_channels)[1]
        self.activation = nn.ReLU(inplace=True)

    def forward(self, group_feats: Tensor, kernels: Tensor) -> Tensor:
        """
        Args:
            group_feats (Tensor): group features, shape (..., in_channels).
            kernels (Tensor): kernels to update, shape (..., in_channels).

        Returns:
            Tensor: updated kernels, shape (..., out_channels).
        """
        param_in, param_out = self.dynamic_layer(group_feats).split(self.feat_channels, dim=-1)
        input_in, input_out = self.input_layer(kernels).split(self.feat_channels, dim=-1)
        gate_feats = input_in * param_in
        input_gate = self.input_norm_in(self.input_gate(gate_feats)).sigmoid()
        update_gate = self.norm_in(self.update_gate(gate_feats)).sigmoid()
        feats = update_gate * self.norm_out(param_out) + input_gate * self.input_norm_out(input_out)
        return self.activation(self.fc_norm(self.fc_layer(feats)))
