"""YOSO panoptic head: stage-0 kernels plus T separable dynamic decoder stages, with Mask2Former's criterion."""
import logging
from typing import Dict, List, Optional, Sequence, Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmdet.structures import SampleList
from mmengine.logging import print_log
from mmengine.model import BaseModule, ModuleList
from mmengine.structures import InstanceData
from torch import Tensor

from mmpanoptic.registry import MODELS


@MODELS.register_module()
class YOSOHead(BaseModule):
    """Separable dynamic decoder of YOSO.

    Stage 0 is a 1x1 convolution ``kernels`` (C -> N, with bias) on the neck's features S, giving the first
    mask logits; its weight (N, C) is the first set of proposal kernels (the bias is not part of them).
    Stages 1..T are :class:`~mmpanoptic.models.layers.YOSODecoderLayer` s (parameters not shared); each
    refines the kernels and predicts class logits (divided by ``temperature``) and mask logits. All images
    of a batch are processed together.

    Training applies ``criterion`` (:class:`MaskSetCriterion`: Mask2Former's Hungarian matching on points
    sampled uniformly, softmax cross-entropy with a no-object weight, point-sampled BCE and dice losses) to
    every stage, with the official stage-0 rule: stage 0 has no classifier, so it is matched on the mask costs
    only and gets no class loss. Loss keys are ``s{stage}_loss_{cls,mask,dice}``. At inference only the last
    stage's classifier is evaluated.

    Args:
        num_things_classes (int): thing classes (set by the segmentor).
        num_stuff_classes (int): stuff classes (set by the segmentor).
        in_channels (int): channels of S, the decoder width d. Defaults to 256.
        num_queries (int): proposals N. Defaults to 100.
        num_stages (int): decoder stages T. Defaults to 2.
        temperature (float): class logits are divided by it, in training and test. COCO 0.05, ADE20K 0.5,
            Cityscapes 0.05, Mapillary Vistas 0.1. Defaults to 0.05.
        layer_cfg (dict): arguments of each :class:`YOSODecoderLayer` besides ``num_classes``,
            ``embed_dims`` and ``num_proposals`` (``attn_cfg``, ``num_cls_fcs``, ``num_mask_fcs``, ...).
        criterion (dict): :class:`MaskSetCriterion` config without its matching settings (losses, no-object
            weight); classes are filled in.
        train_cfg (dict, optional): the criterion's ``assigner``, ``sampler``, ``num_points``,
            ``oversample_ratio``, ``importance_sample_ratio`` (as in mmdet's Mask2Former configs); without it
            the head cannot compute losses.
        test_cfg (dict, optional): unused (the detector passes it on to the fusion head).
    """

    def __init__(self,
                 num_things_classes: int,
                 num_stuff_classes: int,
                 in_channels: int = 256,
                 num_queries: int = 100,
                 num_stages: int = 2,
                 temperature: float = 0.05,
                 layer_cfg: dict = dict(
                     attn_cfg=dict(type='SeparableDynamicConvAttention', kernel_size=3),
                     num_heads=8,
                     feedforward_channels=2048,
                     num_cls_fcs=1,
                     num_mask_fcs=1),
                 criterion: dict = dict(type='MaskSetCriterion'),
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if num_stages < 1:
            raise ValueError(f'YOSOHead needs at least one decoder stage, got num_stages={num_stages}')
        if temperature <= 0:
            raise ValueError(f'temperature must be positive, got {temperature}')
        self.num_things_classes = num_things_classes
        self.num_stuff_classes = num_stuff_classes
        self.num_classes = num_things_classes + num_stuff_classes
        self.num_queries = num_queries
        self.num_stages = num_stages
        self.temperature = temperature
        self.kernels = nn.Conv2d(in_channels, num_queries, kernel_size=1)
        self.stages = ModuleList([
            MODELS.build(
                dict(type='YOSODecoderLayer', **layer_cfg, num_classes=self.num_classes, embed_dims=in_channels,
                     num_proposals=num_queries)) for _ in range(num_stages)
        ])

        self.criterion = MODELS.build(
            dict(criterion, **(train_cfg or {}), num_things_classes=num_things_classes,
                 num_stuff_classes=num_stuff_classes)) if train_cfg else None
        self._warned_too_few_queries = False

    def init_weights(self) -> None:
        """Initialise the decoder stages; ``kernels`` keeps PyTorch's default init (official behaviour)."""
        super().init_weights()

    def forward(self, x: Sequence[Tensor],
                batch_data_samples: SampleList) -> Tuple[List[Optional[Tensor]], List[Tensor]]:
        """Run stage 0 and the T decoder stages.

        Args:
            x (Sequence[Tensor]): the neck's one-element tuple (S of shape (B, C, H, W), ).
            batch_data_samples (list[DetDataSample]): unused; kept for mmdet's head interface.

        Returns:
            tuple[list]: class logits per stage (stage 0: None; other stages (B, N, num_classes + 1),
            already divided by the temperature; in eval mode only the last stage's) and mask logits per
            stage (B, N, H, W).
        """
        features = x[0]
        mask_preds = self.kernels(features)
        kernels = self.kernels.weight.flatten(1).expand(features.shape[0], -1, -1)
        all_cls_scores, all_mask_preds = [None], [mask_preds]
        for i, stage in enumerate(self.stages):
            with_cls = self.training or i == self.num_stages - 1
            cls_score, mask_preds, kernels = stage(features, kernels, mask_preds, with_cls=with_cls)
            all_cls_scores.append(None if cls_score is None else cls_score / self.temperature)
            all_mask_preds.append(mask_preds)
        return all_cls_scores, all_mask_preds

    def loss(self, x: Sequence[Tensor], batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Losses of every stage: ``s{stage}_loss_cls`` (stages >= 1), ``s{stage}_loss_mask``,
        ``s{stage}_loss_dice``."""
        if self.criterion is None:
            raise RuntimeError('YOSOHead was built without train_cfg (assigner, sampler, ...): it has no criterion')
        batch_img_metas = [sample.metainfo for sample in batch_data_samples]
        batch_gt_instances = self.criterion.ground_truth(batch_data_samples)
        all_cls_scores, all_mask_preds = self(x, batch_data_samples)
        return self.loss_by_feat(all_cls_scores, all_mask_preds, batch_gt_instances, batch_img_metas)

    def loss_by_feat(self, all_cls_scores: List[Optional[Tensor]], all_mask_preds: List[Tensor],
                     batch_gt_instances: List[InstanceData], batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """The criterion on every stage (see :meth:`loss`).

        Args:
            all_cls_scores (list[Tensor | None]): per stage, (B, N, num_classes + 1) or None.
            all_mask_preds (list[Tensor]): per stage, (B, N, H, W).
            batch_gt_instances (list[InstanceData]): ``labels`` (G,) and ``masks`` (G, H_pad, W_pad) of
                all non-crowd segments, things and stuff.
            batch_img_metas (list[dict]): image meta information.
        """
        self._check_num_segments(batch_gt_instances, batch_img_metas)
        losses = dict()
        for stage, (cls_scores, mask_preds) in enumerate(zip(all_cls_scores, all_mask_preds)):
            for name, value in self.criterion.loss_set(cls_scores, mask_preds, batch_gt_instances,
                                                       batch_img_metas).items():
                losses[f's{stage}_{name}'] = value
        return losses

    def predict(self, x: Sequence[Tensor], batch_data_samples: SampleList) -> Tuple[Tensor, Tensor]:
        """The last stage's class logits (B, N, num_classes + 1) and mask logits upsampled to the padded input
        size (B, N, H_pad, W_pad), as mmdet's MaskFormer heads give them to the fusion head."""
        all_cls_scores, all_mask_preds = self(x, batch_data_samples)
        pad_size = tuple(batch_data_samples[0].metainfo['batch_input_shape'])
        masks = F.interpolate(all_mask_preds[-1], size=pad_size, mode='bilinear', align_corners=False)
        return all_cls_scores[-1], masks

    def _check_num_segments(self, batch_gt_instances: List[InstanceData], batch_img_metas: List[dict]) -> None:
        """Warn (once) when an image has more ground-truth segments than proposals."""
        if self._warned_too_few_queries:
            return
        for gt_instances, img_meta in zip(batch_gt_instances, batch_img_metas):
            num_gts = len(gt_instances.labels)
            if num_gts > self.num_queries:
                print_log(
                    f'YOSOHead: image {img_meta.get("img_path", "<unknown>")} has {num_gts} ground-truth '
                    f'segments but the head has only num_queries={self.num_queries} proposals; '
                    f'{num_gts - self.num_queries} segments get no proposal and no loss. Increase num_queries '
                    'if this is common in the dataset (this warning is shown once).',
                    logger='current', level=logging.WARNING)
                self._warned_too_few_queries = True
                return
