"""A small convolutional backbone registered from outside the mmpanoptic package."""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule

from mmpanoptic.registry import MODELS


@MODELS.register_module()
class TinyConvNet(BaseModule):
    """Stem (stride 4) followed by stages that halve the resolution.

    Args:
        in_channels (int): input channels.
        stage_channels (Sequence[int]): output channels of each stage; stage ``i`` has stride ``4 * 2**i``.
        norm_cfg (dict): normalisation layer config.

    Shapes:
        input (B, in_channels, H, W) -> tuple of (B, stage_channels[i], H / (4 * 2**i), W / (4 * 2**i)).
    """

    def __init__(self,
                 in_channels: int = 3,
                 stage_channels: Sequence[int] = (32, 64, 128, 256),
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.stem = nn.Sequential(
            ConvModule(in_channels, stage_channels[0], 3, stride=2, padding=1, norm_cfg=norm_cfg),
            ConvModule(stage_channels[0], stage_channels[0], 3, stride=2, padding=1, norm_cfg=norm_cfg))
        self.stages = nn.ModuleList()
        for i, channels in enumerate(stage_channels):
            previous = stage_channels[max(i - 1, 0)]
            self.stages.append(
                nn.Sequential(
                    ConvModule(previous, channels, 3, stride=1 if i == 0 else 2, padding=1, norm_cfg=norm_cfg),
                    ConvModule(channels, channels, 3, padding=1, norm_cfg=norm_cfg)))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = self.stem(x)
        outs = []
        for stage in self.stages:
            x = stage(x)
            outs.append(x)
        return tuple(outs)
