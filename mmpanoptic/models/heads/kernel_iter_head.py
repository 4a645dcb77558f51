"""Iterative kernel head: S kernel update stages, their assignment and their losses."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.utils import reduce_mean
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor

from mmpanoptic.registry import MODELS, TASK_UTILS

Prediction = Tuple[Optional[Tensor], Tensor]


@MODELS.register_module()
class KernelIterHead(BaseModule):
    """Run ``num_stages`` :class:`KernelUpdateHead` stages and compute their losses.

    A prediction set is ``(cls_logits (B, N, C) or None, mask_logits (B, N, H, W))``. Kernels
    ``[:num_matched_kernels]`` are matched by Hungarian assignment to ``gt_instances``; the next
    ``num_bound_kernels`` kernels are bound to the last ``num_bound_kernels`` classes (K-Net's stuff kernels:
    kernel ``num_matched_kernels + k`` always predicts class ``num_classes - num_bound_kernels + k``, with
    background as label when the class is absent).

    Assignment of stage ``s``:

    * ``assign_on='previous'`` (K-Net): on the detached predictions of the previous set (the initial set
      for stage 0, without class scores); the loss is taken on stage ``s``'s own outputs.
    * ``assign_on='current'`` (RT-K-Net): on stage ``s``'s own detached predictions.

    Losses of a set (with positives ``P`` = matched kernels plus present bound kernels): sigmoid focal
    classification averaged over ``|P|`` (all-reduced, >= 1); BCE and dice on the positive masks; rank
    loss over all masks of an image. Masks are upsampled by ``mask_upsample_stride`` before the losses;
    the ground-truth masks must have that size.

    Args:
        num_classes (int): number of classes (things first, then stuff).
        num_things_classes (int): number of thing classes.
        num_stages (int): update stages. Defaults to 3.
        stage_cfg (dict | list[dict]): config of :class:`KernelUpdateHead` (one for all stages or one each).
        num_matched_kernels (int): kernels matched by Hungarian assignment. Defaults to 100.
        num_bound_kernels (int): kernels bound to the last classes. Defaults to 0.
        num_assign_classes (int, optional): class columns used in the matching cost (K-Net: the thing
            classes); all if None.
        assign_on (str): ``'previous'`` or ``'current'``. Defaults to ``'previous'``.
        mask_upsample_stride (int): upsampling of mask logits for losses. Defaults to 2.
        upsample_test_masks (bool): upsample the last stage's masks in :meth:`predict`. Defaults to True.
        stage_loss_weights (Sequence[float], optional): weight of each stage; 1 if None.
        assigner (dict): a :class:`KernelHungarianAssigner` config.
        loss_cls, loss_mask, loss_dice, loss_rank (dict): loss configs; ``loss_rank`` may be None.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 num_classes: int,
                 num_things_classes: int,
                 num_stages: int = 3,
                 stage_cfg: dict = dict(type='KernelUpdateHead'),
                 num_matched_kernels: int = 100,
                 num_bound_kernels: int = 0,
                 num_assign_classes: Optional[int] = None,
                 assign_on: str = 'previous',
                 mask_upsample_stride: int = 2,
                 upsample_test_masks: bool = True,
                 stage_loss_weights: Optional[Sequence[float]] = None,
                 assigner: dict = dict(
                     type='KernelHungarianAssigner',
                     match_costs=[
                         dict(type='FocalLossCost', weight=2.0),
                         dict(type='KernelDiceCost', weight=4.0),
                         dict(type='KernelMaskCost', weight=1.0)
                     ]),
                 loss_cls: dict = dict(
                     type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=2.0),
                 loss_mask: dict = dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
                 loss_dice: dict = dict(type='DiceLoss', eps=1e-3, naive_dice=False, loss_weight=4.0),
                 loss_rank: Optional[dict] = dict(type='MaskRankLoss', loss_weight=0.1),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if assign_on not in ('previous', 'current'):
            raise ValueError(f"assign_on must be 'previous' or 'current', got {assign_on!r}")
        stage_cfgs = stage_cfg if isinstance(stage_cfg, list) else [stage_cfg] * num_stages
        if len(stage_cfgs) != num_stages:
            raise ValueError(f'{len(stage_cfgs)} stage configs given for {num_stages} stages')
        self.num_classes = num_classes
        self.num_things_classes = num_things_classes
        self.num_stages = num_stages
        self.num_matched_kernels = num_matched_kernels
        self.num_bound_kernels = num_bound_kernels
        self.num_assign_classes = num_assign_classes or num_classes
        self.assign_on = assign_on
        self.mask_upsample_stride = mask_upsample_stride
        self.upsample_test_masks = upsample_test_masks
        self.stage_loss_weights = list(stage_loss_weights or [1.0] * num_stages)
        self.stages = nn.ModuleList(
            MODELS.build(dict(cfg, num_classes=num_classes)) for cfg in stage_cfgs)
        self.assigner = TASK_UTILS.build(assigner)
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_mask = MODELS.build(loss_mask)
        self.loss_dice = MODELS.build(loss_dice)
        self.loss_rank = MODELS.build(loss_rank) if loss_rank is not None else None

    def init_weights(self) -> None:
        super().init_weights()
        for stage in self.stages:
            stage.init_weights()

    def upsample(self, mask_logits: Tensor) -> Tensor:
        """Upsample mask logits (B, N, H, W) by ``mask_upsample_stride`` (bilinear)."""
        if self.mask_upsample_stride == 1:
            return mask_logits
        size = [s * self.mask_upsample_stride for s in mask_logits.shape[-2:]]
        return F.interpolate(mask_logits, size=size, mode='bilinear', align_corners=False)

    def forward(self, feats: Tensor, kernels: Tensor, mask_logits: Tensor) -> List[Tuple[Tensor, Tensor, Tensor]]:
        """Run all stages.

        Args:
            feats (Tensor): feature map (B, C, H, W).
            kernels (Tensor): initial kernels (B, N, C).
            mask_logits (Tensor): initial mask logits (B, N, H, W).

        Returns:
            list[tuple[Tensor, Tensor, Tensor]]: per stage, the output kernels (B, N, C) (Video K-Net's
            memory), class logits (B, N, num_classes) and mask logits (B, N, H, W), not upsampled.
        """
        outputs = []
        for stage in self.stages:
            kernels, cls_score, mask_logits = stage(feats, kernels, mask_logits)
            outputs.append((kernels, cls_score, mask_logits))
        return outputs

    def predict(self, feats: Tensor, kernels: Tensor, mask_logits: Tensor) -> Tuple[Tensor, Tensor]:
        """Class logits (B, N, C) and mask logits of the last stage (upsampled if ``upsample_test_masks``)."""
        _, cls_score, mask_logits = self(feats, kernels, mask_logits)[-1]
        return cls_score, self.upsample(mask_logits) if self.upsample_test_masks else mask_logits

    def get_targets(self,
                    assign_set: Prediction,
                    gt_instances: List[InstanceData],
                    bound_masks: Optional[List[Tensor]] = None) -> Dict[str, Tensor]:
        """Assign a prediction set to the ground truth and build per-kernel targets.

        Args:
            assign_set (tuple): (class logits (B, N, C) or None, mask logits (B, N, H, W)) used for
                the matching, at the resolution of the GT masks.
            gt_instances (list[InstanceData]): per image ``labels`` (K,) and float ``masks`` (K, H, W) of
                the matched ground truth.
            bound_masks (list[Tensor], optional): per image (num_bound_kernels, H, W) float masks of the
                bound classes, all zero for an absent class. Required if ``num_bound_kernels > 0``.

        Returns:
            dict: ``labels`` (B, N) long (``num_classes`` = background), ``label_weights`` (B, N, C),
            ``mask_targets`` (B, N, H, W) and ``pos`` (B, N) bool.
        """
        cls_score, mask_logits = assign_set
        num_images, num_kernels = mask_logits.shape[:2]
        num_matched = min(self.num_matched_kernels, num_kernels)
        device = mask_logits.device
        labels = torch.full((num_images, num_kernels), self.num_classes, dtype=torch.long, device=device)
        label_weights = mask_logits.new_zeros((num_images, num_kernels, self.num_classes))
        mask_targets = mask_logits.new_zeros(mask_logits.shape)
        label_weights[:, :num_matched] = 1
        num_bound = num_kernels - num_matched
        if num_bound:
            if num_bound != self.num_bound_kernels or bound_masks is None:
                raise ValueError(f'{num_bound} kernels follow the {num_matched} matched kernels, but '
                                 f'num_bound_kernels={self.num_bound_kernels} and bound masks '
                                 f'{"are missing" if bound_masks is None else "are given"}')
            first_bound_class = self.num_classes - num_bound
            label_weights[:, :num_matched, first_bound_class:] = 0
            bound_rows = torch.arange(num_bound, device=device)
            label_weights[:, num_matched + bound_rows, first_bound_class + bound_rows] = 1
        for i in range(num_images):
            pred = InstanceData(masks=mask_logits[i, :num_matched].detach())
            if cls_score is not None:
                pred.scores = cls_score[i, :num_matched, :self.num_assign_classes].detach()
            gt = gt_instances[i]
            result = self.assigner.assign(pred, gt)
            matched = torch.nonzero(result.gt_inds > 0).squeeze(1)
            labels[i, matched] = gt.labels[result.gt_inds[matched] - 1]
            mask_targets[i, matched] = gt.masks[result.gt_inds[matched] - 1].to(mask_targets.dtype)
            if num_bound:
                present = bound_masks[i].flatten(1).sum(-1) > 0
                labels[i, num_matched:][present] = first_bound_class + torch.nonzero(present).squeeze(1)
                mask_targets[i, num_matched:] = bound_masks[i].to(mask_targets.dtype)
        pos = labels < self.num_classes
        return dict(labels=labels, label_weights=label_weights, mask_targets=mask_targets, pos=pos)

    def loss_by_set(self, cls_score: Optional[Tensor], mask_logits: Tensor, targets: Dict[str, Tensor]
                    ) -> Dict[str, Tensor]:
        """Losses of one prediction set: ``loss_cls`` (if class logits), ``loss_mask``, ``loss_dice``,
        ``loss_rank`` (if configured). ``mask_logits`` (B, N, H, W) must match the targets' size."""
        pos = targets['pos']
        losses = dict()
        if cls_score is not None:
            num_pos = reduce_mean(pos.sum().float()).clamp(min=1.0)
            losses['loss_cls'] = self.loss_cls(
                cls_score.flatten(0, 1).float(), targets['labels'].flatten(),
                targets['label_weights'].flatten(0, 1), avg_factor=num_pos)
        if pos.any():
            pos_logits = mask_logits[pos].float()
            pos_targets = targets['mask_targets'][pos].float()
            losses['loss_mask'] = self.loss_mask(pos_logits, pos_targets)
            losses['loss_dice'] = self.loss_dice(pos_logits, pos_targets)
            if self.loss_rank is not None:
                losses['loss_rank'] = self.loss_rank(mask_logits, targets['mask_targets'], pos)
        else:
            zero = mask_logits.sum() * 0
            losses.update(loss_mask=zero, loss_dice=zero)
            if self.loss_rank is not None:
                losses['loss_rank'] = zero
        return losses

    def loss(self,
             feats: Tensor,
             kernels: Tensor,
             init_set: Prediction,
             gt_instances: List[InstanceData],
             bound_masks: Optional[List[Tensor]] = None) -> Dict[str, Tensor]:
        """Run the stages and return their losses, keys ``s{stage}_loss_*``.

        Args:
            feats (Tensor): feature map (B, C, H, W).
            kernels (Tensor): initial kernels (B, N, C).
            init_set (tuple): initial (class logits or None, mask logits (B, N, H, W)), not upsampled.
            gt_instances, bound_masks: ground truth, see :meth:`get_targets`; masks at the upsampled size.
        """
        losses = dict()
        previous = (init_set[0], self.upsample(init_set[1]))
        for s, (_, cls_score, mask_logits) in enumerate(self(feats, kernels, init_set[1])):
            current = (cls_score, self.upsample(mask_logits))
            assign_set = previous if self.assign_on == 'previous' else current
            targets = self.get_targets(assign_set, gt_instances, bound_masks)
            for name, value in self.loss_by_set(*current, targets).items():
                losses[f's{s}_{name}'] = value * self.stage_loss_weights[s]
            previous = current
        return losses
