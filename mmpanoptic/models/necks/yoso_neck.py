"""YOSO feature pyramid aggregator: deformable top-down pyramid, CFA or IFA fusion, CoordConv.

Reference: Hu et al., "You Only Segment Once: Towards Real-Time Panoptic Segmentation", CVPR 2023.
"""
import copy
from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmcv.ops import ModulatedDeformConv2dPack
from mmengine.model import BaseModule
from torch import Tensor

from mmpanoptic.registry import MODELS

AGGREGATIONS = ('cfa', 'ifa')


class DeformUpsampleBlock(BaseModule):
    """Modulated deformable 3x3 convolution followed by an exact 2x transposed-convolution upsampling.

    ``x (B, C_in, H, W) -> DCNv2 3x3 (no bias) -> norm -> ReLU -> ConvTranspose 4x4/2 -> norm -> ReLU
    -> (B, C_out, 2H, 2W)``. The DCN's offset/modulation branch is mmcv's ``conv_offset`` (a 3x3 conv
    giving 27 channels: x offsets, y offsets and modulation logits). mmcv's CPU kernel has no fp16/bf16
    form, so on the CPU the DCN runs in float32 under autocast (its CUDA kernel runs in half precision).

    Args:
        in_channels (int): input channels.
        out_channels (int): output channels.
        norm_cfg (dict): normalisation after the DCN and after the upsampling.
    """

    def __init__(self, in_channels: int, out_channels: int, norm_cfg: dict = dict(type='BN')):
        super().__init__()
        self.dcn = ModulatedDeformConv2dPack(in_channels, out_channels, kernel_size=3, padding=1, bias=False)
        self.dcn_bn = build_norm_layer(norm_cfg, out_channels)[1]
        self.up_sample = nn.ConvTranspose2d(out_channels, out_channels, kernel_size=4, stride=2, padding=1,
                                            bias=False)
        self.up_bn = build_norm_layer(norm_cfg, out_channels)[1]

    def forward(self, x: Tensor) -> Tensor:
        """(B, C_in, H, W) -> (B, C_out, 2H, 2W)."""
        if x.device.type == 'cpu' and (torch.is_autocast_cpu_enabled() or x.dtype in (torch.float16, torch.bfloat16)):
            with torch.autocast('cpu', enabled=False):
                x = self.dcn(x.float())
        else:
            x = self.dcn(x)
        x = F.relu(self.dcn_bn(x))
        return F.relu(self.up_bn(self.up_sample(x)))


@MODELS.register_module()
class YOSONeck(BaseModule):
    """Feature pyramid aggregator of YOSO.

    Backbone features C2..C5 (strides 4..32) are compressed by 1x1 lateral convolutions to half their
    channels (P2..P5) and merged top-down: ``X5 = P5``, ``X4 = P4 + D1(X5)``, ``X3 = P3 + D2(X4)``,
    ``X2 = P2 + D3(X3)``, where ``D_i`` is a :class:`DeformUpsampleBlock`. The four levels are then
    aggregated at stride 4 into ``agg_channels`` channels by

    * ``'cfa'`` (convolution-first aggregation, the released model): a bias-free 1x1 convolution per
      level (``conv_a5..conv_a2``) at the level's resolution, bilinear upsampling, sum, plus a shared
      ``bias`` of shape (1, agg_channels, 1, 1);
    * ``'ifa'`` (interpolation-first aggregation): bilinear upsampling of the levels, concatenation
      ([X5, X4, X3, X2]) and one 1x1 convolution ``fuse_conv`` with bias.

    Both are linear in the levels and equal for matching weights (see :func:`convert_ifa_to_cfa`).
    A 3x3 ``output_conv`` follows, then two coordinate channels (x, y in [-1, 1]) are appended and a
    1x1 ``loc_conv`` projects to ``out_channels``.

    Args:
        in_channels (Sequence[int]): channels of C2, C3, C4, C5. Defaults to ResNet-50's.
        agg_channels (int): channels of the aggregated stride-4 map. Defaults to 128.
        out_channels (int): channels of the output map (the decoder width d). Defaults to 256.
        aggregation (str): ``'cfa'`` or ``'ifa'``. Defaults to ``'cfa'``.
        norm_cfg (dict): normalisation in the deformable blocks. The official models use SyncBN;
            mmengine reverts SyncBN to BN in non-distributed runs. Defaults to ``dict(type='BN')``.
        init_cfg (dict, optional): mmengine initialisation config. By default every parameter with more
            than one dimension is re-initialised with Xavier-uniform, as in the official code (this
            includes the DCN offset branch, the transposed convolutions and the 4-D CFA ``bias``).
    """

    def __init__(self,
                 in_channels: Sequence[int] = (256, 512, 1024, 2048),
                 agg_channels: int = 128,
                 out_channels: int = 256,
                 aggregation: str = 'cfa',
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != 4:
            raise ValueError(f'YOSONeck takes the 4 backbone levels C2..C5, got in_channels={in_channels}')
        if aggregation not in AGGREGATIONS:
            raise ValueError(f'aggregation must be one of {AGGREGATIONS}, got {aggregation!r}')
        self.in_channels = tuple(in_channels)
        self.agg_channels = agg_channels
        self.out_channels = out_channels
        self.aggregation = aggregation
        self.norm_cfg = copy.deepcopy(norm_cfg)
        lateral = [c // 2 for c in self.in_channels]  # P2..P5 channels
        # Level indices follow the official key names: 0 is C5, 3 is C2.
        self.lateral_conv0 = nn.Conv2d(self.in_channels[3], lateral[3], 1)
        self.deform_conv1 = DeformUpsampleBlock(lateral[3], lateral[2], norm_cfg)
        self.lateral_conv1 = nn.Conv2d(self.in_channels[2], lateral[2], 1)
        self.deform_conv2 = DeformUpsampleBlock(lateral[2], lateral[1], norm_cfg)
        self.lateral_conv2 = nn.Conv2d(self.in_channels[1], lateral[1], 1)
        self.deform_conv3 = DeformUpsampleBlock(lateral[1], lateral[0], norm_cfg)
        self.lateral_conv3 = nn.Conv2d(self.in_channels[0], lateral[0], 1)
        if aggregation == 'cfa':
            self.conv_a5 = nn.Conv2d(lateral[3], agg_channels, 1, bias=False)
            self.conv_a4 = nn.Conv2d(lateral[2], agg_channels, 1, bias=False)
            self.conv_a3 = nn.Conv2d(lateral[1], agg_channels, 1, bias=False)
            self.conv_a2 = nn.Conv2d(lateral[0], agg_channels, 1, bias=False)
            self.bias = nn.Parameter(torch.zeros(1, agg_channels, 1, 1))
        else:
            self.fuse_conv = nn.Conv2d(sum(lateral), agg_channels, 1)
        self.output_conv = nn.Conv2d(agg_channels, agg_channels, 3, padding=1)
        self.loc_conv = nn.Conv2d(agg_channels + 2, out_channels, 1)

    def init_weights(self) -> None:
        """Xavier-uniform on every parameter with more than one dimension (official behaviour)."""
        if self.init_cfg is not None:
            super().init_weights()
            return
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def pyramid(self, feats: Sequence[Tensor]) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """Deformable top-down pyramid.

        Args:
            feats (Sequence[Tensor]): C2..C5, shapes (B, in_channels[i], H/2^(i+2), W/2^(i+2)).

        Returns:
            tuple[Tensor]: X5, X4, X3, X2 with half the input channels at strides 32, 16, 8, 4.
        """
        if len(feats) != 4:
            raise ValueError(f'YOSONeck expects 4 feature maps (C2..C5), got {len(feats)}')
        for lower, upper in zip(feats[:-1], feats[1:]):
            if lower.shape[-2] != 2 * upper.shape[-2] or lower.shape[-1] != 2 * upper.shape[-1]:
                raise ValueError(
                    'YOSONeck needs every backbone level to be exactly twice the size of the next one, got '
                    f'{[tuple(f.shape[-2:]) for f in feats]}; pad the input to a multiple of 32 '
                    '(DetDataPreprocessor(pad_size_divisor=32)).')
        x5 = self.lateral_conv0(feats[3])
        x4 = self.lateral_conv1(feats[2]) + self.deform_conv1(x5)
        x3 = self.lateral_conv2(feats[1]) + self.deform_conv2(x4)
        x2 = self.lateral_conv3(feats[0]) + self.deform_conv3(x3)
        return x5, x4, x3, x2

    def aggregate(self, levels: Sequence[Tensor]) -> Tensor:
        """CFA or IFA of (X5, X4, X3, X2) into (B, agg_channels, H/4, W/4), before ``output_conv``."""
        size = levels[3].shape[-2:]

        def up(x: Tensor) -> Tensor:
            return F.interpolate(x, size=size, mode='bilinear', align_corners=False)

        x5, x4, x3, x2 = levels
        if self.aggregation == 'cfa':
            return (up(self.conv_a5(x5)) + up(self.conv_a4(x4)) + up(self.conv_a3(x3)) + self.conv_a2(x2) +
                    self.bias)
        return self.fuse_conv(torch.cat([up(x5), up(x4), up(x3), x2], dim=1))

    @staticmethod
    def coord_features(x: Tensor) -> Tensor:
        """x and y coordinates in [-1, 1], shape (B, 2, H, W), for x of shape (B, C, H, W)."""
        b, _, h, w = x.shape
        xs = torch.linspace(-1, 1, w, device=x.device, dtype=x.dtype)
        ys = torch.linspace(-1, 1, h, device=x.device, dtype=x.dtype)
        grid_y, grid_x = torch.meshgrid(ys, xs, indexing='ij')
        return torch.stack([grid_x, grid_y]).expand(b, -1, -1, -1)

    def forward(self, feats: Sequence[Tensor]) -> Tuple[Tensor]:
        """C2..C5 -> a one-element tuple with S of shape (B, out_channels, H/4, W/4)."""
        x = self.output_conv(self.aggregate(self.pyramid(feats)))
        x = torch.cat([x, self.coord_features(x)], dim=1)
        return (self.loc_conv(x), )


def convert_ifa_to_cfa(neck: YOSONeck) -> YOSONeck:
    """Re-parameterise a (trained) IFA neck as the equivalent CFA neck.

    Bilinear upsampling acts on each channel separately, so it commutes with a 1x1 convolution:
    ``W cat(U5 x5, U4 x4, U3 x3, x2) + b = U5 (W5 x5) + U4 (W4 x4) + U3 (W3 x3) + W2 x2 + b``, where
    ``W5..W2`` are the column blocks of ``fuse_conv``'s weight in concatenation order. The CFA neck
    applies the narrow convolutions at the low resolutions, which is cheaper.

    Args:
        neck (YOSONeck): a neck with ``aggregation='ifa'``; it is not modified.

    Returns:
        YOSONeck: a new neck with ``aggregation='cfa'``, in the same training/eval mode and on the same
        device, whose output equals ``neck``'s up to floating-point rounding.
    """
    if neck.aggregation != 'ifa':
        raise ValueError(f'convert_ifa_to_cfa needs an IFA neck, got aggregation={neck.aggregation!r}')
    cfa = YOSONeck(neck.in_channels, neck.agg_channels, neck.out_channels, 'cfa', neck.norm_cfg)
    shared = {k: v for k, v in neck.state_dict().items() if not k.startswith('fuse_conv.')}
    weight = neck.fuse_conv.weight.detach()
    lateral = [c // 2 for c in neck.in_channels]
    widths = [lateral[3], lateral[2], lateral[1], lateral[0]]
    blocks = torch.split(weight, widths, dim=1)
    for name, block in zip(('conv_a5', 'conv_a4', 'conv_a3', 'conv_a2'), blocks):
        shared[f'{name}.weight'] = block.clone()
    shared['bias'] = neck.fuse_conv.bias.detach().clone().view(1, -1, 1, 1)
    cfa.load_state_dict(shared, strict=True)
    return cfa.to(weight.device).train(neck.training)
