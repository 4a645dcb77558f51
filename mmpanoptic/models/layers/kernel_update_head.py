"""One K-Net kernel update stage, shared by K-Net, RT-K-Net and Video K-Net."""
from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_norm_layer
from mmcv.cnn.bricks.transformer import FFN, MultiheadAttention
from mmengine.model.weight_init import bias_init_with_prob
from torch import Tensor

from mmpanoptic.registry import MODELS
from .group_features import assemble_group_features


@MODELS.register_module()
class KernelUpdateHead(nn.Module):
    """A kernel update stage: group features, adaptive update, interaction, class and mask prediction.

    Data flow for features ``X`` (B, C, H, W), kernels ``K`` (B, N, C) and mask logits ``M`` (B, N, h, w):

    1. ``X = feat_transform(X)`` (K-Net only: a 1x1 conv with bias).
    2. ``G = group_features(M, X)``: masks resized to (H, W), binarised and summed or averaged
       (``normalize_group_features``).
    3. ``K~ = kernel_update_conv(G, K)`` (:class:`KernelUpdator`).
    4. ``K+ = ffn_norm(FFN(attention_norm(MHA(K~))))`` where MHA and FFN add their residual inside.
    5. ``cls = fc_cls(cls_fcs(K+))``, ``m = fc_mask(mask_fcs(K+))`` and ``M' = conv1x1(X, m)``.

    The stage returns ``K+`` (not ``m``) as the next stage's kernels. The steps are also exposed as
    methods (:meth:`group_features`, :meth:`update_kernels`, :meth:`interact`, :meth:`predict`) so that
    Video K-Net can insert kernel fusion before the update and kernel linking after it.

    Without mask normalisation the group features and the kernel update run in fp32 even under autocast,
    because the plain sum overflows fp16; with it they run in the autocast dtype.

    Parameter names follow K-Net's mmdet 2.x ``KernelUpdateHead`` so official weights load unchanged.

    Args:
        num_classes (int): classes of the sigmoid classifier.
        in_channels (int): kernel and feature channels. Defaults to 256.
        feat_channels (int): channels of the :class:`KernelUpdator` gates. Defaults to 256.
        num_heads (int): attention heads of kernel interaction. Defaults to 8.
        feedforward_channels (int): hidden channels of the FFN. Defaults to 2048.
        num_cls_fcs (int): Linear-LN-ReLU blocks before ``fc_cls``. Defaults to 1.
        num_mask_fcs (int): Linear-LN-ReLU blocks before ``fc_mask``. Defaults to 1.
        dropout (float): dropout of attention and FFN. Defaults to 0.
        with_feat_transform (bool): apply a 1x1 conv to the features first (K-Net). Defaults to False.
        normalize_group_features (bool): average instead of sum the group features (RT-K-Net).
            Defaults to False.
        hard_mask_thr (float): probability threshold that binarises masks for gathering. Defaults to 0.5.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int = 256,
                 feat_channels: int = 256,
                 num_heads: int = 8,
                 feedforward_channels: int = 2048,
                 num_cls_fcs: int = 1,
                 num_mask_fcs: int = 1,
                 dropout: float = 0.0,
                 with_feat_transform: bool = False,
                 normalize_group_features: bool = False,
                 hard_mask_thr: float = 0.5):
        super().__init__()
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.normalize_group_features = normalize_group_features
        self.hard_mask_thr = hard_mask_thr
        self.feat_transform = ConvModule(
            in_channels, in_channels, 1, act_cfg=None) if with_feat_transform else None
        self.kernel_update_conv = MODELS.build(
            dict(type='KernelUpdator', in_channels=in_channels, feat_channels=feat_channels))
        self.attention = MultiheadAttention(in_channels, num_heads, attn_drop=dropout, proj_drop=dropout,
                                            batch_first=True)
        self.attention_norm = build_norm_layer(dict(type='LN'), in_channels)[1]
        self.ffn = FFN(in_channels, feedforward_channels, num_fcs=2, ffn_drop=dropout)
        self.ffn_norm = build_norm_layer(dict(type='LN'), in_channels)[1]
        self.cls_fcs = self._fc_blocks(num_cls_fcs)
        self.fc_cls = nn.Linear(in_channels, num_classes)
        self.mask_fcs = self._fc_blocks(num_mask_fcs)
        self.fc_mask = nn.Linear(in_channels, in_channels)

    def _fc_blocks(self, num_blocks: int) -> nn.ModuleList:
        layers = nn.ModuleList()
        for _ in range(num_blocks):
            layers.append(nn.Linear(self.in_channels, self.in_channels, bias=False))
            layers.append(build_norm_layer(dict(type='LN'), self.in_channels)[1])
            layers.append(nn.ReLU(inplace=True))
        return layers

    def init_weights(self) -> None:
        """Xavier-uniform for every weight matrix, classifier bias at prior probability 0.01."""
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        nn.init.constant_(self.fc_cls.bias, bias_init_with_prob(0.01))

    def transform_features(self, feats: Tensor) -> Tensor:
        """Apply ``feat_transform`` if the stage has one. (B, C, H, W) -> (B, C, H, W)."""
        return feats if self.feat_transform is None else self.feat_transform(feats)

    def group_features(self, feats: Tensor, mask_logits: Tensor) -> Tensor:
        """Group features of the masks on transformed features.

        Args:
            feats (Tensor): transformed features, shape (B, C, H, W).
            mask_logits (Tensor): mask logits, shape (B, N, h, w), resized bilinearly to (H, W).

        Returns:
            Tensor: shape (B, N, C); fp32 unless the features are normalised.
        """
        if mask_logits.shape[-2:] != feats.shape[-2:]:
            mask_logits = F.interpolate(mask_logits, feats.shape[-2:], mode='bilinear', align_corners=False)
        return assemble_group_features(mask_logits, feats, self.normalize_group_features, self.hard_mask_thr)

    def update_kernels(self, group_feats: Tensor, kernels: Tensor) -> Tensor:
        """Adaptive kernel update, fp32 unless the group features are normalised. (B, N, C) -> (B, N, C)."""
        if self.normalize_group_features:
            return self.kernel_update_conv(group_feats, kernels)
        with torch.autocast(device_type=kernels.device.type, enabled=False):
            return self.kernel_update_conv(group_feats.float(), kernels.float())

    def interact(self, kernels: Tensor) -> Tensor:
        """Self-attention over the kernels of an image, then FFN, each followed by LN. (B, N, C) -> (B, N, C)."""
        kernels = self.attention_norm(self.attention(kernels))
        return self.ffn_norm(self.ffn(kernels))

    def predict(self, kernels: Tensor, feats: Tensor) -> Tuple[Tensor, Tensor]:
        """Class logits and mask logits of kernels.

        Args:
            kernels (Tensor): shape (B, N, C).
            feats (Tensor): transformed features, shape (B, C, H, W).

        Returns:
            tuple[Tensor, Tensor]: class logits (B, N, num_classes) and mask logits (B, N, H, W).
        """
        cls_feat = kernels
        for layer in self.cls_fcs:
            cls_feat = layer(cls_feat)
        mask_feat = kernels
        for layer in self.mask_fcs:
            mask_feat = layer(mask_feat)
        cls_score = self.fc_cls(cls_feat)
        mask_kernels = self.fc_mask(mask_feat)
        mask_logits = torch.einsum('bnc,bchw->bnhw', mask_kernels, feats.to(mask_kernels.dtype))
        return cls_score, mask_logits

    def forward(self, feats: Tensor, kernels: Tensor, mask_logits: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Run the stage.

        Args:
            feats (Tensor): feature map, shape (B, C, H, W).
            kernels (Tensor): input kernels, shape (B, N, C).
            mask_logits (Tensor): previous mask logits, shape (B, N, h, w).

        Returns:
            tuple[Tensor, Tensor, Tensor]: new kernels (B, N, C), class logits (B, N, num_classes) and
            mask logits (B, N, H, W).
        """
        feats = self.transform_features(feats)
        group_feats = self.group_features(feats, mask_logits)
        kernels = self.interact(self.update_kernels(group_feats, kernels))
        cls_score, new_masks = self.predict(kernels, feats)
        return kernels, cls_score, new_masks
