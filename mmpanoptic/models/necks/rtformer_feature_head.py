"""RTFormer segmentation head used by RT-K-Net as its feature map generator."""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from mmseg.models.utils import DAPPM
from torch import Tensor

from mmpanoptic.registry import MODELS


@MODELS.register_module()
class RTFormerFeatureHead(BaseModule):
    """DAPPM on the low-resolution branch, fused with the high-resolution branch into one feature map.

    ``y = DAPPM(x_low)`` (mmseg's, 5 scales, ``in_channels[1] -> out_channels of DAPPM``), upsampled to the
    high branch and concatenated with it, then BN, ReLU, 3x3 conv (no bias), BN, ReLU, 1x1 conv (bias):
    ``F`` of shape (B, out_channels, H/8, W/8). Convs are Kaiming-normal (fan_out) initialised.

    Args:
        in_channels (Sequence[int]): channels of (high, low) branches. Defaults to (128, 512).
        dappm_channels (int): branch channels of DAPPM. Defaults to 128.
        head_channels (int): channels of the 3x3 conv. Defaults to 128 (official RT-K-Net).
        out_channels (int): channels of the feature map. Defaults to 256.
        norm_cfg (dict): Defaults to BN.
    """

    def __init__(self, in_channels: Sequence[int] = (128, 512), dappm_channels: int = 128, head_channels: int = 128,
                 out_channels: int = 256, norm_cfg: dict = dict(type='BN'), init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        high, low = in_channels
        self.dappm = DAPPM(low, dappm_channels, high, num_scales=5, norm_cfg=norm_cfg)
        self.conv = nn.Sequential(
            build_norm_layer(norm_cfg, 2 * high)[1], nn.ReLU(inplace=True),
            nn.Conv2d(2 * high, head_channels, 3, padding=1, bias=False),
            build_norm_layer(norm_cfg, head_channels)[1], nn.ReLU(inplace=True),
            nn.Conv2d(head_channels, out_channels, 1))

    def init_weights(self) -> None:
        super().init_weights()
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor]:
        """(high (B, C_h, H/8, W/8), low (B, C_l, H/32, W/32)) -> ((B, out_channels, H/8, W/8), ), a tuple as
        every neck returns."""
        high, low = inputs[-2], inputs[-1]
        y = F.interpolate(self.dappm(low), high.shape[-2:], mode='bilinear', align_corners=False)
        return (self.conv(torch.cat([high, y], dim=1)), )
