"""RT-K-Net head: merged panoptic kernels, auxiliary semantic head and contrastive loss."""
from typing import Dict, Optional, Sequence, Tuple

import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmdet.structures import SampleList
from mmengine.model import BaseModule
from torch import Tensor

from mmpanoptic.models.layers.group_features import assemble_group_features
from mmpanoptic.models.targets.panoptic_targets import panoptic_gt_at, panoptic_segments
from mmpanoptic.registry import MODELS


@MODELS.register_module()
class RTKNetHead(BaseModule):
    """The ``panoptic_head`` of :class:`RTKNet`.

    From the feature map ``F`` (B, C_in, H/8, W/8):

    * ``X = feat_transform(F)`` (BN, ReLU, 1x1 no bias, BN, ReLU, 1x1 + bias, BN);
    * ``M0 = init_kernels(X)`` and ``K0 = init_kernels.weight + G(M0, X)`` for ``num_kernels`` kernels that
      cover things and stuff alike (no class binding; mask-normalised group features by default);
    * ``iter_head`` (:class:`KernelIterHead`, every set matched on its own predictions);
    * training only: ``aux_head(F)`` semantic logits (BN, ReLU, 1x1, BN, ReLU, 1x1, no biases).

    Losses: ``init_loss_{mask,dice,rank}`` for the initial set, ``s{i}_loss_*`` for the stages,
    ``loss_seg`` (hard-pixel CE of the auxiliary logits at stride 4) and ``loss_inst_disc``
    (:class:`InstanceDiscriminationLoss` on ``X`` at stride 4).

    Args:
        num_things_classes (int): thing classes.
        num_stuff_classes (int): stuff classes.
        in_channels (int): channels of ``F``. Defaults to 256.
        feat_channels (int): kernel and feature channels. Defaults to 256.
        num_kernels (int): Defaults to 100.
        normalize_group_features (bool): Defaults to True.
        norm_cfg (dict): Defaults to BN.
        iter_head (dict): :class:`KernelIterHead` config (classes and kernels are filled in).
        loss_seg (dict, optional): auxiliary semantic loss; None disables the auxiliary head.
        loss_inst_disc (dict, optional): contrastive loss; None disables it.
        ignore_index (int): void label of the semantic map. Defaults to 255.
        train_cfg, test_cfg: unused, accepted from :class:`MaskFormer`.
    """

    def __init__(self,
                 num_things_classes: int,
                 num_stuff_classes: int,
                 in_channels: int = 256,
                 feat_channels: int = 256,
                 num_kernels: int = 100,
                 normalize_group_features: bool = True,
                 norm_cfg: dict = dict(type='BN'),
                 iter_head: dict = dict(type='KernelIterHead'),
                 loss_seg: Optional[dict] = dict(type='TopKPixelCrossEntropyLoss', top_k_percent=0.2),
                 loss_inst_disc: Optional[dict] = dict(type='InstanceDiscriminationLoss'),
                 ignore_index: int = 255,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.num_things_classes = num_things_classes
        self.num_stuff_classes = num_stuff_classes
        self.num_classes = num_things_classes + num_stuff_classes
        self.num_kernels = num_kernels
        self.normalize_group_features = normalize_group_features
        self.ignore_index = ignore_index

        def norm(channels):
            return build_norm_layer(norm_cfg, channels)[1]

        self.feat_transform = nn.Sequential(
            norm(in_channels), nn.ReLU(inplace=True), nn.Conv2d(in_channels, feat_channels, 1, bias=False),
            norm(feat_channels), nn.ReLU(inplace=True), nn.Conv2d(feat_channels, feat_channels, 1),
            norm(feat_channels))
        self.init_kernels = nn.Conv2d(feat_channels, num_kernels, 1, bias=False)
        self.aux_head = nn.Sequential(
            norm(in_channels), nn.ReLU(inplace=True), nn.Conv2d(in_channels, feat_channels, 1, bias=False),
            norm(feat_channels), nn.ReLU(inplace=True), nn.Conv2d(feat_channels, self.num_classes, 1, bias=False)
        ) if loss_seg is not None else None
        self.iter_head = MODELS.build(
            dict(iter_head, num_classes=self.num_classes, num_things_classes=num_things_classes,
                 num_matched_kernels=num_kernels, num_bound_kernels=0, assign_on='current'))
        self.loss_seg = MODELS.build(loss_seg) if loss_seg is not None else None
        self.loss_inst_disc = MODELS.build(loss_inst_disc) if loss_inst_disc is not None else None

    def init_weights(self) -> None:
        super().init_weights()
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def initial_kernels(self, feats: Sequence[Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
        """Transformed features X (B, C, H, W), initial kernels (B, N, C) and mask logits (B, N, H, W) from the
        neck's tuple, whose last entry is the feature map F (B, C, H, W)."""
        x = self.feat_transform(feats[-1])
        masks = self.init_kernels(x)
        group_feats = assemble_group_features(masks, x, self.normalize_group_features)
        kernels = self.init_kernels.weight.flatten(1)[None] + group_feats
        return x, kernels, masks

    def forward(self, feats: Sequence[Tensor], batch_data_samples: SampleList) -> Tuple[Tensor, Tensor]:
        """Class logits (B, N, C) and mask logits (B, N, H/8, W/8) of the last stage."""
        x, kernels, masks = self.initial_kernels(feats)
        return self.iter_head.predict(x, kernels, masks)

    def predict(self, feats, batch_data_samples: SampleList) -> Tuple[Tensor, Tensor]:
        """See :meth:`forward`."""
        return self(feats, batch_data_samples)

    def loss(self, feats: Sequence[Tensor], batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Initial-set, stage, auxiliary semantic and instance discrimination losses."""
        feature_map = feats[-1]
        x, kernels, masks = self.initial_kernels(feats)
        init_masks = self.iter_head.upsample(masks)
        things, stuff, semantic = panoptic_gt_at(batch_data_samples, init_masks.shape[-2:],
                                                 self.num_things_classes, self.num_classes, self.ignore_index)
        segments = [panoptic_segments(t, s, self.num_things_classes) for t, s in zip(things, stuff)]
        losses = dict()
        targets = self.iter_head.get_targets((None, init_masks), segments)
        for name, value in self.iter_head.loss_by_set(None, init_masks, targets).items():
            losses[f'init_{name}'] = value
        losses.update(self.iter_head.loss(x, kernels, (None, masks), segments))
        if self.aux_head is not None:
            losses['loss_seg'] = self.loss_seg(self.iter_head.upsample(self.aux_head(feature_map)), semantic)
        if self.loss_inst_disc is not None:
            num = max(len(s.labels) for s in segments)
            padded = x.new_zeros((len(segments), max(num, 1), *init_masks.shape[-2:]))
            for i, seg in enumerate(segments):
                padded[i, :len(seg.labels)] = seg.masks
            losses['loss_inst_disc'] = self.loss_inst_disc(self.iter_head.upsample(x), padded)
        return losses
