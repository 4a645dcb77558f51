"""YOSO panoptic head: stage-0 kernels plus T separable dynamic decoder stages, with Mask2Former's losses."""
import copy
import logging
from typing import Dict, List, Optional, Sequence, Tuple

import torch.nn as nn
from mmengine.model import ModuleList
from mmdet.models.dense_heads import AnchorFreeHead, Mask2FormerHead
from mmdet.structures import SampleList
from mmengine.logging import print_log
from mmengine.structures import InstanceData
from torch import Tensor

from mmpanoptic.registry import MODELS, TASK_UTILS


@MODELS.register_module()
class YOSOHead(Mask2FormerHead):
    """Separable dynamic decoder of YOSO.

    Stage 0 is a 1x1 convolution ``kernels`` (C -> N, with bias) on the neck's features S, giving the first
    mask logits; its weight (N, C) is the first set of proposal kernels (the bias is not part of them).
    Stages 1..T are :class:`~mmpanoptic.models.layers.YOSODecoderLayer` s (parameters not shared); each
    refines the kernels and predicts class logits (divided by ``temperature``) and mask logits. All images
    of a batch are processed together.

    Training reuses mmdet's Mask2Former criterion (Hungarian matching on points sampled uniformly, softmax
    cross-entropy with a no-object weight, point-sampled BCE and dice losses) for every stage, with the
    official stage-0 rule: stage 0 has no classifier, so it is matched on the mask costs only and gets no
    class loss. Loss keys are ``s{stage}_loss_{cls,mask,dice}``. At inference only the last stage's
    classifier is evaluated.

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
        no_object_weight (float): class weight of the no-object class when ``loss_cls`` gives no
            ``class_weight``. Defaults to 0.1.
        loss_cls, loss_mask, loss_dice (dict): as in :class:`mmdet.models.Mask2FormerHead`.
        train_cfg (dict, optional): ``assigner``, ``sampler``, ``num_points``, ``oversample_ratio``,
            ``importance_sample_ratio`` as in Mask2Former.
        test_cfg (dict, optional): passed on to the fusion head by the detector.
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
                 no_object_weight: float = 0.1,
                 loss_cls: dict = dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=2.0,
                                       reduction='mean'),
                 loss_mask: dict = dict(type='CrossEntropyLoss', use_sigmoid=True, reduction='mean',
                                        loss_weight=5.0),
                 loss_dice: dict = dict(type='DiceLoss', use_sigmoid=True, activate=True, reduction='mean',
                                        naive_dice=True, eps=1.0, loss_weight=5.0),
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg=None):
        # Mask2FormerHead's constructor builds its pixel and transformer decoders; only its losses,
        # target assignment and prediction are reused, so the constructor chain starts above it.
        super(AnchorFreeHead, self).__init__(init_cfg=init_cfg)
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

        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        if train_cfg:
            self.assigner = TASK_UTILS.build(train_cfg['assigner'])
            self.sampler = TASK_UTILS.build(train_cfg['sampler'], default_args=dict(context=self))
            self.num_points = train_cfg.get('num_points', 12544)
            self.oversample_ratio = train_cfg.get('oversample_ratio', 3.0)
            self.importance_sample_ratio = train_cfg.get('importance_sample_ratio', 0.75)
        loss_cls = copy.deepcopy(loss_cls)
        loss_cls.setdefault('class_weight', [1.0] * self.num_classes + [no_object_weight])
        if len(loss_cls['class_weight']) != self.num_classes + 1:
            raise ValueError(f'loss_cls.class_weight needs num_classes + 1 = {self.num_classes + 1} entries '
                             f'(the last is the no-object class), got {len(loss_cls["class_weight"])}')
        self.class_weight = loss_cls['class_weight']
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_mask = MODELS.build(loss_mask)
        self.loss_dice = MODELS.build(loss_dice)
        self._warned_too_few_queries = False

    def init_weights(self) -> None:
        """Initialise the decoder stages; ``kernels`` keeps PyTorch's default init (official behaviour)."""
        super(AnchorFreeHead, self).init_weights()

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

    def loss_by_feat(self, all_cls_scores: List[Optional[Tensor]], all_mask_preds: List[Tensor],
                     batch_gt_instances: List[InstanceData], batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """Mask2Former's set-prediction loss on every stage.

        Stage 0 has no class logits; its matching uses all-zero logits, whose uniform class cost is the
        same for every (proposal, segment) pair and so leaves the Hungarian assignment to the mask costs,
        and its class loss is not returned.

        Args:
            all_cls_scores (list[Tensor | None]): per stage, (B, N, num_classes + 1) or None.
            all_mask_preds (list[Tensor]): per stage, (B, N, H, W).
            batch_gt_instances (list[InstanceData]): ``labels`` (G,) and ``masks`` (G, H_pad, W_pad) of
                all non-crowd segments, things and stuff.
            batch_img_metas (list[dict]): image meta information.

        Returns:
            dict[str, Tensor]: ``s{stage}_loss_cls`` (stages >= 1), ``s{stage}_loss_mask``,
            ``s{stage}_loss_dice``.
        """
        self._check_num_segments(batch_gt_instances, batch_img_metas)
        losses = dict()
        for stage, (cls_scores, mask_preds) in enumerate(zip(all_cls_scores, all_mask_preds)):
            has_cls = cls_scores is not None
            if not has_cls:
                cls_scores = mask_preds.new_zeros(*mask_preds.shape[:2], self.num_classes + 1)
            loss_cls, loss_mask, loss_dice = self._loss_by_feat_single(cls_scores, mask_preds, batch_gt_instances,
                                                                       batch_img_metas)
            if has_cls:
                losses[f's{stage}_loss_cls'] = loss_cls
            losses[f's{stage}_loss_mask'] = loss_mask
            losses[f's{stage}_loss_dice'] = loss_dice
        return losses

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
