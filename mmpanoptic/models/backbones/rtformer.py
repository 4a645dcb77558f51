"""RTFormer backbone (`RTFormer <https://arxiv.org/abs/2210.07124>`_), as used by RT-K-Net."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmcv.cnn.bricks import DropPath
from mmengine.model import BaseModule
from torch import Tensor

from mmpanoptic.registry import MODELS


def _norm(cfg: dict, channels: int, **kwargs) -> nn.Module:
    return build_norm_layer(dict(cfg, **kwargs), channels)[1]


class BasicBlock(nn.Module):
    """ResNet basic block; ``no_relu`` drops the final ReLU (last block of an RTFormer layer)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, downsample: Optional[nn.Module] = None,
                 no_relu: bool = False, norm_cfg: dict = dict(type='BN')):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = _norm(norm_cfg, out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = _norm(norm_cfg, out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.no_relu = no_relu

    def forward(self, x: Tensor) -> Tensor:
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        out = out + (x if self.downsample is None else self.downsample(x))
        return out if self.no_relu else self.relu(out)


class ConvMLP(nn.Module):
    """BN (eps 1e-6), 3x3 conv, GELU, 3x3 conv."""

    def __init__(self, channels: int, norm_cfg: dict):
        super().__init__()
        self.norm = _norm(norm_cfg, channels, eps=1e-6)
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.act = nn.GELU()
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv2(self.act(self.conv1(self.norm(x))))


class ExternalAttention(nn.Module):
    """External attention with learned keys/values (low branch) or keys/values given per sample (high branch).

    Low branch (``cross_kv=False``): ``x -> BN -> 1x1 conv K (stride 2 if channels change) -> softmax over
    pixels per head, divided by the sum over the head's channels (+1e-6) -> 1x1 conv V``.
    High branch (``cross_kv=True``): per sample, ``a = softmax_over_inter(inter**-0.5 * K_b^T x)`` and
    ``out = V_b a`` with ``K_b``, ``V_b`` (C, inter) computed from the low branch.

    Args:
        in_channels (int), out_channels (int), inter_channels (int): channels.
        num_heads (int): heads of the low-branch normalisation. Defaults to 8.
        cross_kv (bool): keys and values come from outside. Defaults to False.
        norm_cfg (dict): Defaults to BN.
    """

    def __init__(self, in_channels: int, out_channels: int, inter_channels: int, num_heads: int = 8,
                 cross_kv: bool = False, norm_cfg: dict = dict(type='BN')):
        super().__init__()
        if out_channels % num_heads:
            raise ValueError(f'out_channels {out_channels} is not a multiple of num_heads {num_heads}')
        self.in_channels = in_channels
        self.inter_channels = inter_channels
        self.num_heads = num_heads
        self.cross_kv = cross_kv
        self.stride = 1 if in_channels == out_channels else 2
        self.norm = _norm(norm_cfg, in_channels)
        if not cross_kv:
            self.k = nn.Parameter(torch.empty(inter_channels, in_channels, 1, 1).normal_(std=1e-3))
            self.v = nn.Parameter(torch.empty(out_channels, inter_channels, 1, 1).normal_(std=1e-3))

    def forward(self, x: Tensor, cross_k: Optional[Tensor] = None, cross_v: Optional[Tensor] = None) -> Tensor:
        """
        Args:
            x (Tensor): (B, C_in, H, W).
            cross_k (Tensor, optional): (B, inter, C_in), high branch only.
            cross_v (Tensor, optional): (B, C_in, inter), high branch only.

        Returns:
            Tensor: (B, C_out, H', W').
        """
        x = self.norm(x)
        if not self.cross_kv:
            x = F.conv2d(x, self.k, stride=self.stride)
            b, _, h, w = x.shape
            attn = x.view(b, self.num_heads, self.inter_channels // self.num_heads, h * w).softmax(-1)
            attn = attn / (attn.sum(2, keepdim=True) + 1e-6)
            return F.conv2d(attn.view(b, self.inter_channels, h, w), self.v)
        b, c, h, w = x.shape
        attn = torch.einsum('bkc,bchw->bkhw', cross_k, x) * self.inter_channels**-0.5
        return torch.einsum('bck,bkhw->bchw', cross_v, attn.softmax(1))


class EABlock(nn.Module):
    """RTFormer block with a low-resolution (``_l``) and a high-resolution (``_h``) branch.

    Args:
        in_channels (tuple[int, int]): (high, low) input channels.
        out_channels (tuple[int, int]): (high, low) output channels; high must not change.
        num_heads (int): Defaults to 8.
        drop_path_rate (float): Defaults to 0.
        use_injection (bool): add the downsampled high branch to the low branch. Defaults to True.
        cross_size (int): pooled size of the cross keys/values. Defaults to 12.
        norm_cfg (dict): Defaults to BN.
    """

    def __init__(self, in_channels: Tuple[int, int], out_channels: Tuple[int, int], num_heads: int = 8,
                 drop_path_rate: float = 0., use_injection: bool = True, cross_size: int = 12,
                 norm_cfg: dict = dict(type='BN')):
        super().__init__()
        in_h, in_l = in_channels
        out_h, out_l = out_channels
        if in_h != out_h:
            raise ValueError(f'the high branch keeps its channels, got {in_h} -> {out_h}')
        self.out_channels_h = out_h
        self.cross_size = cross_size
        self.use_injection = use_injection
        if in_l != out_l:
            self.attn_shortcut_l = nn.Sequential(_norm(norm_cfg, in_l), nn.Conv2d(in_l, out_l, 1, 2, bias=False))
        else:
            self.attn_shortcut_l = None
        self.attn_l = ExternalAttention(in_l, out_l, out_l, num_heads, norm_cfg=norm_cfg)
        self.mlp_l = ConvMLP(out_l, norm_cfg)
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()
        self.compression = nn.Sequential(_norm(norm_cfg, out_l), nn.ReLU(inplace=True),
                                         nn.Conv2d(out_l, out_h, 1, bias=False))
        self.attn_h = ExternalAttention(in_h, in_h, cross_size * cross_size, num_heads, cross_kv=True,
                                        norm_cfg=norm_cfg)
        self.mlp_h = ConvMLP(out_h, norm_cfg)
        self.cross_kv = nn.Sequential(_norm(norm_cfg, out_l), nn.AdaptiveMaxPool2d(cross_size),
                                      nn.Conv2d(out_l, 2 * out_h, 1, bias=False))
        if use_injection:
            self.down = nn.Sequential(
                _norm(norm_cfg, out_h), nn.ReLU(inplace=True),
                nn.Conv2d(out_h, out_l // 2, 3, 2, 1, bias=False),
                _norm(norm_cfg, out_l // 2), nn.ReLU(inplace=True),
                nn.Conv2d(out_l // 2, out_l, 3, 2, 1, bias=False))

    def forward(self, x_h: Tensor, x_l: Tensor) -> Tuple[Tensor, Tensor]:
        """(B, C_h, H, W), (B, C_l, h, w) -> same for the outputs (low branch possibly at half size)."""
        shortcut = x_l if self.attn_shortcut_l is None else self.attn_shortcut_l(x_l)
        x_l = shortcut + self.drop_path(self.attn_l(x_l))
        x_l = x_l + self.drop_path(self.mlp_l(x_l))
        x_h = x_h + F.interpolate(self.compression(x_l), x_h.shape[-2:], mode='bilinear', align_corners=False)
        cross_k, cross_v = self.cross_kv(x_l).flatten(2).split(self.out_channels_h, dim=1)
        x_h = x_h + self.drop_path(self.attn_h(x_h, cross_k.transpose(1, 2), cross_v))
        x_h = x_h + self.drop_path(self.mlp_h(x_h))
        if self.use_injection:
            x_l = x_l + self.down(x_h)
        return x_h, x_l


@MODELS.register_module()
class RTFormer(BaseModule):
    """RTFormer backbone: a dual-resolution CNN with external-attention blocks.

    Outputs (``out_indices`` selects from the list below), for ``c = base_channels`` and input (H, W):
    ``stem`` (c, H/4), ``rt1`` (c, H/4), ``rt2`` (2c, H/8), ``rt3_high`` (2c, H/8), ``rt3_low`` (4c, H/16),
    ``rt4_high`` (2c, H/8), ``rt4_low`` (8c, H/32), ``rt5_high`` (2c, H/8), ``rt5_low`` (8c, H/32).
    Module names follow RT-K-Net's port so that its weights load unchanged.

    Args:
        base_channels (int): 64 for RTFormer-Base, 32 for -Slim. Defaults to 64.
        layer_nums (Sequence[int]): blocks of layer1-3 and of ``layer3_``... Defaults to (2, 2, 2, 2).
        num_heads (int): Defaults to 8.
        drop_path_rate (float): Defaults to 0.2.
        use_injection (Sequence[bool]): injection in layer4 and layer5. Defaults to (True, False).
        cross_size (int): Defaults to 12.
        in_channels (int): Defaults to 3.
        norm_cfg (dict): Defaults to BN (SyncBN in multi-GPU configs).
        out_indices (Sequence[int]): indices of the returned outputs. Defaults to (7, 8) (rt5_high, rt5_low).
        init_cfg (dict, optional): initialisation config. ``dict(type='Pretrained', checkpoint=FILE)``
            loads ImageNet weights through :func:`mmpanoptic.engine.load.load_backbone_weights` (the file
            may hold the backbone alone or a whole RT-K-Net model, as the official ImageNet file for
            detectron2's ``MODEL.WEIGHTS`` does).
    """

    def __init__(self, base_channels: int = 64, layer_nums: Sequence[int] = (2, 2, 2, 2), num_heads: int = 8,
                 drop_path_rate: float = 0.2, use_injection: Sequence[bool] = (True, False), cross_size: int = 12,
                 in_channels: int = 3, norm_cfg: dict = dict(type='BN'), out_indices: Sequence[int] = (7, 8),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        c = base_channels
        self.out_indices = tuple(out_indices)
        self.conv1 = nn.Sequential(
            nn.Conv2d(in_channels, c, 3, 2, 1), _norm(norm_cfg, c), nn.ReLU(inplace=True),
            nn.Conv2d(c, c, 3, 2, 1), _norm(norm_cfg, c), nn.ReLU(inplace=True))
        self.relu = nn.ReLU()
        self.layer1 = self._make_layer(c, c, layer_nums[0], 1, norm_cfg)
        self.layer2 = self._make_layer(c, 2 * c, layer_nums[1], 2, norm_cfg)
        self.layer3 = self._make_layer(2 * c, 4 * c, layer_nums[2], 2, norm_cfg)
        self.layer3_ = self._make_layer(2 * c, 2 * c, 1, 1, norm_cfg)
        self.compression3 = nn.Sequential(_norm(norm_cfg, 4 * c), nn.ReLU(inplace=True),
                                          nn.Conv2d(4 * c, 2 * c, 1, bias=False))
        self.layer4 = EABlock((2 * c, 4 * c), (2 * c, 8 * c), num_heads, drop_path_rate, use_injection[0],
                              cross_size, norm_cfg)
        self.layer5 = EABlock((2 * c, 8 * c), (2 * c, 8 * c), num_heads, drop_path_rate, use_injection[1],
                              cross_size, norm_cfg)

    def init_weights(self) -> None:
        """Pretrained weights through mmpanoptic's loader; any other ``init_cfg`` as mmengine does it."""
        if self.init_cfg is not None and self.init_cfg.get('type') == 'Pretrained':
            from mmpanoptic.engine.load import load_backbone_weights
            load_backbone_weights(self, self.init_cfg['checkpoint'], self.init_cfg.get('prefix', 'backbone.'))
            self._is_init = True
            return
        super().init_weights()

    @staticmethod
    def _make_layer(in_channels: int, out_channels: int, blocks: int, stride: int, norm_cfg: dict) -> nn.Sequential:
        downsample = None
        if stride != 1 or in_channels != out_channels:
            downsample = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                                       _norm(norm_cfg, out_channels))
        layers = [BasicBlock(in_channels, out_channels, stride, downsample, norm_cfg=norm_cfg)]
        for i in range(1, blocks):
            layers.append(BasicBlock(out_channels, out_channels, no_relu=i == blocks - 1, norm_cfg=norm_cfg))
        return nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """(B, 3, H, W) -> the outputs selected by ``out_indices``."""
        outs: List[Tensor] = []
        x = self.conv1(x)
        outs.append(x)
        x = self.layer1(x)
        outs.append(x)
        x = self.layer2(self.relu(x))
        outs.append(x)
        x3 = self.layer3(self.relu(x))
        x3_ = x + F.interpolate(self.compression3(x3), x.shape[-2:], mode='bilinear', align_corners=False)
        x3_ = self.layer3_(self.relu(x3_))
        outs += [x3_, x3]
        x4_, x4 = self.layer4(self.relu(x3_), self.relu(x3))
        outs += [x4_, x4]
        x5_, x5 = self.layer5(self.relu(x4_), self.relu(x4))
        outs += [x5_, x5]
        return tuple(outs[i] for i in self.out_indices)
