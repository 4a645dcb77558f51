"""K-Net panoptic head: kernel proposals, iterative kernel updates and their losses."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmdet.structures import SampleList
from mmengine.model import BaseModule
from torch import Tensor

from mmpanoptic.models.targets.panoptic_targets import panoptic_gt_at
from mmpanoptic.registry import MODELS


@MODELS.register_module()
class KNetHead(BaseModule):
    """The ``panoptic_head`` of :class:`KNet`: :class:`KernelProposalHead` + :class:`KernelIterHead`.

    Training: the proposal set (thing masks only, x2 to stride 4) is matched on its own masks without class
    cost and gets ``loss_rpn_{mask,dice,rank}``; the semantic logits get the sigmoid focal ``loss_rpn_seg``
    (``num_classes`` channels, unlabeled pixels are background, averaged over labelled pixels); the
    stages get ``s{i}_loss_{cls,mask,dice,rank}`` with stuff kernels bound to their classes.

    Args:
        num_things_classes (int): thing classes.
        num_stuff_classes (int): stuff classes.
        rpn_head (dict): :class:`KernelProposalHead` config (classes are filled in).
        iter_head (dict): :class:`KernelIterHead` config (classes and bound kernels are filled in).
        loss_seg (dict): loss of the semantic logits.
        train_cfg, test_cfg (dict, optional): unused, accepted from :class:`MaskFormer`.
    """

    def __init__(self,
                 num_things_classes: int,
                 num_stuff_classes: int,
                 rpn_head: dict = dict(type='KernelProposalHead'),
                 iter_head: dict = dict(type='KernelIterHead'),
                 loss_seg: dict = dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0),
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.num_things_classes = num_things_classes
        self.num_stuff_classes = num_stuff_classes
        self.num_classes = num_things_classes + num_stuff_classes
        classes = dict(num_classes=self.num_classes, num_things_classes=num_things_classes)
        self.rpn_head = MODELS.build(dict(rpn_head, **classes))
        self.num_proposals = self.rpn_head.num_proposals
        self.iter_head = MODELS.build(
            dict(iter_head, num_matched_kernels=self.num_proposals, num_bound_kernels=num_stuff_classes,
                 num_assign_classes=num_things_classes, **classes))
        self.loss_seg = MODELS.build(loss_seg)

    def init_weights(self) -> None:
        self.rpn_head.init_weights()
        self.iter_head.init_weights()

    def forward(self, feats: Sequence[Tensor], batch_data_samples: SampleList) -> Tuple[Tensor, Tensor]:
        """Class logits (B, N, C) and mask logits (B, N, H, W) of the last stage."""
        kernels, x, masks, _ = self.rpn_head(feats)
        return self.iter_head.predict(x, kernels, masks)

    def predict(self, feats: Sequence[Tensor], batch_data_samples: SampleList) -> Tuple[Tensor, Tensor]:
        """See :meth:`forward`."""
        return self(feats, batch_data_samples)

    def loss(self, feats: Sequence[Tensor], batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Proposal, semantic and stage losses."""
        kernels, x, masks, seg_logits = self.rpn_head(feats)
        rpn_masks = self.iter_head.upsample(masks[:, :self.num_proposals])
        things, stuff, _ = panoptic_gt_at(batch_data_samples, rpn_masks.shape[-2:], self.num_things_classes,
                                          self.num_classes)
        losses = dict()
        rpn_targets = self.iter_head.get_targets((None, rpn_masks), things)
        for name, value in self.iter_head.loss_by_set(None, rpn_masks, rpn_targets).items():
            losses[name.replace('loss_', 'loss_rpn_')] = value
        losses['loss_rpn_seg'] = self.semantic_loss(seg_logits, things, stuff)
        losses.update(self.iter_head.loss(x, kernels, (None, masks), things, stuff))
        return losses

    def semantic_loss(self, seg_logits: Tensor, things: List, stuff: List[Tensor]) -> Tensor:
        """Sigmoid focal loss of the semantic logits (B, C, h, w) at stride 4; the target of a pixel is the
        class of a stuff mask > 0, overwritten by the label of a thing mask > 0, else background."""
        seg_logits = self.iter_head.upsample(seg_logits)
        targets = []
        for thing, stuff_masks in zip(things, stuff):
            target = seg_logits.new_full(seg_logits.shape[-2:], self.num_classes).long()
            for k, mask in enumerate(stuff_masks):
                target[mask > 0] = self.num_things_classes + k
            for label, mask in zip(thing.labels, thing.masks):
                target[mask > 0] = label
            targets.append(target)
        targets = torch.stack(targets)
        num_fg = (targets < self.num_classes).sum().float().clamp(min=1.0)
        flat = seg_logits.permute(0, 2, 3, 1).reshape(-1, self.num_classes).float()
        return self.loss_seg(flat, targets.flatten(), avg_factor=num_fg)
