"""One stage of YOSO's separable dynamic decoder."""
import copy
import math
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmcv.cnn.bricks.transformer import FFN, MultiheadAttention
from mmengine.model import BaseModule, constant_init, trunc_normal_init
from torch import Tensor

from mmpanoptic.registry import MODELS
from .group_features import assemble_group_features


def _fc_branch(embed_dims: int, num_fcs: int) -> nn.ModuleList:
    """``num_fcs`` x [Linear (no bias), LayerNorm, ReLU]."""
    layers = nn.ModuleList()
    for _ in range(num_fcs):
        layers.extend([nn.Linear(embed_dims, embed_dims, bias=False), nn.LayerNorm(embed_dims), nn.ReLU(inplace=True)])
    return layers


@MODELS.register_module()
class YOSODecoderLayer(BaseModule):
    """A stage of the separable dynamic decoder (the official ``CrossAttenHead``).

    Given the stride-4 features S (B, C, H, W), the previous proposal kernels k (B, N, C) and the previous
    mask logits A (B, N, H, W):

    1. pre-attention: ``f = sum_hw 1[sigmoid(A) > hard_mask_thr] * S`` (B, N, C), sum-pooled, no gradient
       through the hard masks; under autocast, f and step 2 run in float32 (the sum overflows fp16);
    2. ``f = LN(f + f_atten(k, f))``; 3. ``k' = LN(f + k_atten(k, f))`` (both take the old k as query);
    4. ``k' = LN(k' + MHSA(k'))``; 5. ``obj = LN(k' + FFN(k'))``;
    6. class logits ``fc_cls(cls_fcs(obj))`` (B, N, num_classes + 1), not divided by the temperature;
    7. mask logits ``einsum(fc_mask(mask_fcs(obj)), S)`` (B, N, H, W).

    ``obj`` is the next stage's proposal kernels.

    Args:
        num_classes (int): classes without the no-object class.
        embed_dims (int): C (d in the paper). Defaults to 256.
        num_proposals (int): N. Defaults to 100.
        attn_cfg (dict): the pre-attention token mixer, built twice (``f_atten`` and ``k_atten``), with
            ``embed_dims`` and ``num_proposals`` filled in. Defaults to SDCA with t = 3; see
            :mod:`mmpanoptic.models.layers.dynamic_conv_attention` for the variants.
        num_heads (int): heads of the self-attention. Defaults to 8.
        feedforward_channels (int): hidden width of the FFN. Defaults to 2048.
        num_cls_fcs (int): [Linear, LN, ReLU] blocks of the class branch. Defaults to 1.
        num_mask_fcs (int): [Linear, LN, ReLU] blocks of the mask branch. Defaults to 1.
        hard_mask_thr (float): threshold on sigmoid(A) for the pre-attention masks. Defaults to 0.5.
        cls_prior_prob (float): the class bias is initialised to ``-log((1 - p) / p)``. Defaults to 0.01.
    """

    def __init__(self,
                 num_classes: int,
                 embed_dims: int = 256,
                 num_proposals: int = 100,
                 attn_cfg: dict = dict(type='SeparableDynamicConvAttention', kernel_size=3),
                 num_heads: int = 8,
                 feedforward_channels: int = 2048,
                 num_cls_fcs: int = 1,
                 num_mask_fcs: int = 1,
                 hard_mask_thr: float = 0.5,
                 cls_prior_prob: float = 0.01,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.embed_dims = embed_dims
        self.num_proposals = num_proposals
        self.hard_mask_thr = hard_mask_thr
        self.cls_prior_prob = cls_prior_prob
        attn_cfg = copy.deepcopy(attn_cfg)
        attn_cfg.update(embed_dims=embed_dims, num_proposals=num_proposals)
        self.f_atten = MODELS.build(attn_cfg)
        self.f_atten_norm = nn.LayerNorm(embed_dims)
        self.k_atten = MODELS.build(attn_cfg)
        self.k_atten_norm = nn.LayerNorm(embed_dims)
        self.s_atten = MultiheadAttention(embed_dims, num_heads, attn_drop=0.0, proj_drop=0.0, batch_first=True)
        self.s_atten_norm = nn.LayerNorm(embed_dims)
        self.ffn = FFN(embed_dims, feedforward_channels, num_fcs=2, ffn_drop=0.0, add_identity=True)
        self.ffn_norm = nn.LayerNorm(embed_dims)
        self.cls_fcs = _fc_branch(embed_dims, num_cls_fcs)
        self.fc_cls = nn.Linear(embed_dims, num_classes + 1)
        self.mask_fcs = _fc_branch(embed_dims, num_mask_fcs)
        self.fc_mask = nn.Linear(embed_dims, embed_dims)

    def init_weights(self) -> None:
        """Truncated-normal (std 0.02) linear weights, zero biases, unit LayerNorms, class-prior bias."""
        if self.init_cfg is not None:
            super().init_weights()
            return
        for m in self.modules():
            if isinstance(m, nn.Linear):
                trunc_normal_init(m, std=0.02, bias=0.0)
            elif isinstance(m, nn.LayerNorm):
                constant_init(m, val=1.0, bias=0.0)
        nn.init.constant_(self.fc_cls.bias, -math.log((1 - self.cls_prior_prob) / self.cls_prior_prob))

    def forward(self, features: Tensor, kernels: Tensor, mask_preds: Tensor,
                with_cls: bool = True) -> Tuple[Optional[Tensor], Tensor, Tensor]:
        """Run the stage.

        Args:
            features (Tensor): S, (B, C, H, W).
            kernels (Tensor): proposal kernels, (B, N, C).
            mask_preds (Tensor): previous mask logits, (B, N, H, W).
            with_cls (bool): evaluate the class branch. Defaults to True.

        Returns:
            tuple: class logits (B, N, num_classes + 1) or None, mask logits (B, N, H, W) and the new
            proposal kernels (B, N, C).
        """
        # The sum-pooled features exceed the fp16 range on large masks: they and the first token mixer stay
        # in float32 until its LayerNorm (the shared dtype policy of assemble_group_features).
        pooled = assemble_group_features(mask_preds, features, False, self.hard_mask_thr)
        with torch.autocast(device_type=features.device.type, enabled=False):
            pooled = self.f_atten_norm(pooled + self.f_atten(kernels.to(pooled.dtype), pooled))
        obj = self.k_atten_norm(pooled + self.k_atten(kernels, pooled))
        obj = self.s_atten_norm(self.s_atten(obj))
        obj = self.ffn_norm(self.ffn(obj))

        cls_score = None
        if with_cls:
            cls_feat = obj
            for layer in self.cls_fcs:
                cls_feat = layer(cls_feat)
            cls_score = self.fc_cls(cls_feat)
        mask_feat = obj
        for layer in self.mask_fcs:
            mask_feat = layer(mask_feat)
        new_mask_preds = torch.einsum('bnc,bchw->bnhw', self.fc_mask(mask_feat), features)
        return cls_score, new_mask_preds, obj
