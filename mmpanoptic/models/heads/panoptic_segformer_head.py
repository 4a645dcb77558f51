"""Panoptic SegFormer's head: the location decoder's box branches, query filtering and the mask decoders."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import Linear
from mmdet.models.dense_heads import DeformableDETRHead
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy
from mmdet.utils import reduce_mean
from mmengine.model import bias_init_with_prob
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmpanoptic.models.targets import panoptic_gt_at
from mmpanoptic.registry import MODELS, TASK_UTILS


def mask_tokens(memory: Tensor, memory_mask: Optional[Tensor], spatial_shapes: Tensor,
                num_levels: int) -> Tuple[Tensor, Optional[Tensor], List[Tuple[int, int]]]:
    """The encoder tokens of the first ``num_levels`` levels: memory (B, L', C), padding mask (B, L') or None,
    and the levels' (H_l, W_l)."""
    shapes = [tuple(int(v) for v in s) for s in spatial_shapes[:num_levels].tolist()]
    length = sum(h * w for h, w in shapes)
    return memory[:, :length], None if memory_mask is None else memory_mask[:, :length].bool(), shapes


def mean_count(count: float, like: Tensor) -> float:
    """A count averaged over the processes, at least 1 (a loss normaliser)."""
    return torch.clamp(reduce_mean(like.new_tensor([float(count)])), min=1).item()



@MODELS.register_module()
class PanopticSegFormerHead(DeformableDETRHead):
    """Things are detected by the location decoder (mmdet's Deformable DETR head: per-layer class and box
    branches, iterative box refinement); their masks come from the things mask decoder, run on the
    location decoder's last hidden states. Stuff has one query per class (``stuff_query``, (S, 2C), columns
    ``[content | pos]``) and its own mask decoder, whose per-layer ``cls_stuff_branches`` score the
    presence of the class. Both mask decoders are :class:`AttentionMaskDecoder` over the encoder tokens of the
    first ``num_mask_levels`` levels (/8, /16, /32), without positional encoding.

    Training (``train_cfg``: ``assigner`` for the location-decoder layers, ``filter_assigner``
    (:class:`QueryFilterAssigner`) on the last layer, ``mask_assigner`` for the filtered queries):

    * every location-decoder layer: Hungarian matching, focal / L1 / GIoU (mmdet's losses and names,
      ``loss_cls`` ... and ``d{i}.loss_cls`` ...), things only;
    * the filtered queries of the last layer go to the things mask decoder and are matched to the things
      again with the mask dice cost; dice losses on the final (``loss_mask_things``) and per-layer
      (``d{j}.loss_mask_things_f``) masks, upsampled x2 to H/4, against the ground truth resized bilinearly;
    * stuff query k is class k (no matching): dice losses on the present classes (``loss_mask_stuff``,
      ``d{j}.loss_mask_stuff_f``) and a sigmoid focal presence loss per layer (``d{j}.loss_cls_stuff_f``);
    * things terms are scaled by ``N_th / (N_th + N_st)`` and stuff terms by ``N_st / (N_th + N_st)``, with
      the numbers of ground-truth things and stuff segments averaged over processes (each at least 1).

    ``stuff_cls_needs_things`` (default True, the released code): the presence loss is zero for a batch in
    which no thing query reaches the mask decoder (the official emptiness check reads the things' variable).
    False trains presence on every batch. The official mask decoders' box and class branches
    (``reg_branches2``, ``cls_thing_branches``) have zero loss weight and do not exist here.

    Args:
        num_things_classes (int): thing classes (the class branches' width).
        num_stuff_classes (int): stuff classes S = stuff queries.
        things_mask_decoder (dict): :class:`AttentionMaskDecoder` config of the things.
        stuff_mask_decoder (dict): :class:`AttentionMaskDecoder` config of the stuff (with self-attention).
        num_mask_levels (int): encoder levels the mask decoders attend to. Defaults to 3.
        loss_mask (dict): dice loss on raw masks (squared denominators, eps 1e-6, weight 2).
        loss_stuff_cls (dict): stuff presence focal loss (weight 4: the official 2 x 2).
        stuff_cls_needs_things (bool): see above.
        share_pred_layer, num_pred_layer, as_two_stage: set by the detector (mmdet's Deformable DETR).
        embed_dims, num_reg_fcs, sync_cls_avg_factor, loss_cls, loss_bbox, loss_iou, train_cfg, test_cfg,
        init_cfg: as :class:`mmdet.models.dense_heads.DETRHead`.
    """

    def __init__(self,
                 num_things_classes: int,
                 num_stuff_classes: int,
                 things_mask_decoder: dict,
                 stuff_mask_decoder: dict,
                 num_mask_levels: int = 3,
                 loss_mask: dict = dict(type='DiceLoss', use_sigmoid=False, activate=False, naive_dice=False,
                                        eps=1e-6, reduction='mean', loss_weight=2.0),
                 loss_stuff_cls: dict = dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                                             loss_weight=4.0),
                 stuff_cls_needs_things: bool = True,
                 share_pred_layer: bool = False,
                 num_pred_layer: int = 6,
                 as_two_stage: bool = False,
                 embed_dims: int = 256,
                 num_reg_fcs: int = 2,
                 sync_cls_avg_factor: bool = True,
                 loss_cls: dict = dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=2.0),
                 loss_bbox: dict = dict(type='L1Loss', loss_weight=5.0),
                 loss_iou: dict = dict(type='GIoULoss', loss_weight=2.0),
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg=None):
        if as_two_stage:
            raise ValueError('Panoptic SegFormer has no two-stage variant (as_two_stage must be False)')
        self.num_things_classes = num_things_classes
        self.num_stuff_classes = num_stuff_classes
        self.num_mask_levels = num_mask_levels
        self.stuff_cls_needs_things = stuff_cls_needs_things
        self._stuff_layers = stuff_mask_decoder.get('num_layers', 4)
        train_cfg = dict(train_cfg) if train_cfg else None
        extra = {k: train_cfg.pop(k) for k in ('filter_assigner', 'mask_assigner')} if train_cfg else {}
        super().__init__(
            num_classes=num_things_classes, share_pred_layer=share_pred_layer, num_pred_layer=num_pred_layer,
            as_two_stage=as_two_stage, embed_dims=embed_dims, num_reg_fcs=num_reg_fcs,
            sync_cls_avg_factor=sync_cls_avg_factor, loss_cls=loss_cls, loss_bbox=loss_bbox, loss_iou=loss_iou,
            train_cfg=train_cfg, test_cfg=test_cfg, init_cfg=init_cfg)
        if train_cfg:
            self.filter_assigner = TASK_UTILS.build(extra['filter_assigner'])
            self.mask_assigner = TASK_UTILS.build(extra['mask_assigner'])
        self.things_mask_decoder = MODELS.build(dict(things_mask_decoder, num_levels=num_mask_levels))
        self.stuff_mask_decoder = MODELS.build(dict(stuff_mask_decoder, num_levels=num_mask_levels))
        self.loss_mask = MODELS.build(loss_mask)
        self.loss_stuff_cls = MODELS.build(loss_stuff_cls)

    def _init_layers(self) -> None:
        super()._init_layers()
        self.stuff_query = nn.Embedding(self.num_stuff_classes, self.embed_dims * 2)  # [content | pos]
        self.cls_stuff_branches = nn.ModuleList(Linear(self.embed_dims, 1) for _ in range(self._stuff_layers))

    def init_weights(self) -> None:
        super().init_weights()
        bias = bias_init_with_prob(0.01)
        for branch in self.cls_stuff_branches:
            nn.init.constant_(branch.bias, bias)
        self.things_mask_decoder.init_weights()
        self.stuff_mask_decoder.init_weights()

    # ---------------------------------------------------------------- mask decoding
    def decode_stuff(self, tokens: Tensor, token_mask: Optional[Tensor],
                     shapes: Sequence[Tuple[int, int]]) -> Tuple[Tensor, List[Tensor], List[Tensor]]:
        """Stuff masks (B, S, H1, W1), per-layer masks and per-layer presence logits (B, S)."""
        content, pos = self.stuff_query.weight.split(self.embed_dims, dim=1)
        batch = tokens.shape[0]
        masks, layer_masks, layer_queries = self.stuff_mask_decoder(
            content[None].expand(batch, -1, -1), tokens, shapes, pos[None].expand(batch, -1, -1), token_mask)
        presence = [branch(q)[..., 0] for branch, q in zip(self.cls_stuff_branches, layer_queries)]
        return masks, layer_masks, presence

    # ---------------------------------------------------------------- training
    def _things_gt(self, batch_data_samples: SampleList) -> List[InstanceData]:
        gts = []
        for sample in batch_data_samples:
            gt = sample.gt_instances
            bboxes = gt.bboxes.tensor if hasattr(gt.bboxes, 'tensor') else gt.bboxes
            gts.append(InstanceData(labels=gt.labels.long(), bboxes=bboxes.float()))
        return gts

    def _stuff_presence(self, batch_data_samples: SampleList, device) -> Tensor:
        """(B, S) float: 1 where the stuff class has pixels in the ground truth."""
        present = []
        for sample in batch_data_samples:
            sem = sample.gt_sem_seg.sem_seg.long().flatten().to(device)
            sem = sem[(sem >= self.num_things_classes) & (sem < self.num_things_classes + self.num_stuff_classes)]
            present.append(torch.bincount(sem - self.num_things_classes, minlength=self.num_stuff_classes) > 0)
        return torch.stack(present).float()

    def _pred_boxes(self, boxes: Tensor, meta: dict) -> Tensor:
        img_h, img_w = meta['img_shape'][:2]
        return bbox_cxcywh_to_xyxy(boxes) * boxes.new_tensor([img_w, img_h, img_w, img_h])

    def loss(self, hidden_states: Tensor, references: List[Tensor], memory: Tensor, memory_mask: Optional[Tensor],
             spatial_shapes: Tensor, batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """
        Args:
            hidden_states (Tensor): location-decoder states (num_layers, B, Q, C).
            references (list[Tensor]): reference points of each layer (num_layers + 1 x (B, Q, 2|4)).
            memory (Tensor): encoder output (B, L, C). memory_mask (Tensor | None): (B, L), True at padding.
            spatial_shapes (Tensor): (num_levels, 2).
            batch_data_samples (list[DetDataSample]): with ``gt_instances`` (things: ``labels``, ``bboxes``,
                ``masks``) and ``gt_sem_seg``.

        Returns:
            dict: the losses (see the class doc).
        """
        metas = [s.metainfo for s in batch_data_samples]
        all_cls, all_boxes = self(hidden_states, references)  # (layers, B, Q, C_th), (layers, B, Q, 4)
        things_gt = self._things_gt(batch_data_samples)
        losses = self.loss_by_feat(all_cls, all_boxes, None, None, things_gt, metas)

        # Query filtering on the last layer; its first round is the one-to-one matching of loss_cls/bbox/iou.
        cls_last, boxes_last = all_cls[-1].detach(), all_boxes[-1].detach()
        kept, num_pos_things = [], 0
        for i, meta in enumerate(metas):
            pred = InstanceData(scores=cls_last[i], bboxes=self._pred_boxes(boxes_last[i], meta))
            index, first = self.filter_assigner.filter(pred, things_gt[i], meta)
            kept.append(index)
            num_pos_things += int((first.gt_inds > 0).sum())
        num_things = mean_count(num_pos_things, memory)

        tokens, token_mask, shapes = mask_tokens(memory, memory_mask, spatial_shapes, self.num_mask_levels)
        batch, _, channels = hidden_states.shape[1:]
        num_kept = max((len(k) for k in kept), default=0)
        thing_query = hidden_states.new_zeros((batch, num_kept, channels))
        for i, index in enumerate(kept):
            thing_query[i, :len(index)] = hidden_states[-1, i, index]
        thing_masks, thing_layer_masks, _ = self.things_mask_decoder(thing_query, tokens, shapes, None, token_mask)
        stuff_masks, stuff_layer_masks, stuff_presence = self.decode_stuff(tokens, token_mask, shapes)

        grid = thing_masks.shape[-2:]
        things_at_grid, _, _ = panoptic_gt_at(batch_data_samples, tuple(grid), self.num_things_classes,
                                              self.num_things_classes + self.num_stuff_classes)
        things_t, stuff_t, _ = panoptic_gt_at(batch_data_samples, (2 * grid[0], 2 * grid[1]),
                                              self.num_things_classes,
                                              self.num_things_classes + self.num_stuff_classes)
        # Thing mask targets: the filtered queries matched again, now with the mask dice cost.
        targets, weights = [], []
        for i, (index, meta) in enumerate(zip(kept, metas)):
            gt = InstanceData(labels=things_gt[i].labels, bboxes=things_gt[i].bboxes,
                              masks=things_at_grid[i].masks)
            pred = InstanceData(scores=cls_last[i, index], bboxes=self._pred_boxes(boxes_last[i, index], meta),
                                masks=thing_masks[i, :len(index)].detach())
            gt_inds = self.mask_assigner.assign(pred, gt, meta).gt_inds
            target = things_t[i].masks.new_zeros((len(index), *things_t[i].masks.shape[-2:]))
            positive = gt_inds > 0
            target[positive] = things_t[i].masks[gt_inds[positive] - 1]
            targets.append(target)
            weights.append(positive.float())
        thing_targets, thing_weights = torch.cat(targets), torch.cat(weights)

        presence = self._stuff_presence(batch_data_samples, memory.device)
        num_stuff = mean_count(float(presence.sum()), memory)
        things_ratio, stuff_ratio = num_things / (num_things + num_stuff), num_stuff / (num_things + num_stuff)
        losses = {k: v * things_ratio for k, v in losses.items()}

        def things_dice(masks: Tensor) -> Tensor:  # (B, K, H1, W1) of the filtered queries
            preds = torch.cat([m[:len(k)] for m, k in zip(masks, kept)])
            if preds.shape[0] == 0:
                return masks.sum() * 0
            preds = F.interpolate(preds[None], scale_factor=2.0, mode='bilinear', align_corners=False)[0]
            return self.loss_mask(preds, thing_targets, thing_weights, avg_factor=num_things) * things_ratio

        stuff_targets, stuff_weights = torch.cat(stuff_t), presence.flatten()

        def stuff_dice(masks: Tensor) -> Tensor:  # (B, S, H1, W1)
            preds = F.interpolate(masks, scale_factor=2.0, mode='bilinear', align_corners=False).flatten(0, 1)
            return self.loss_mask(preds, stuff_targets, stuff_weights, avg_factor=num_stuff) * stuff_ratio

        losses['loss_mask_things'] = things_dice(thing_masks)
        losses['loss_mask_stuff'] = stuff_dice(stuff_masks)
        for j, masks in enumerate(thing_layer_masks):
            losses[f'd{j}.loss_mask_things_f'] = things_dice(masks)
        absent = (1 - presence).long().flatten()  # focal labels: 0 = present, 1 = background
        no_things = sum(len(k) for k in kept) == 0
        for j, (masks, logits) in enumerate(zip(stuff_layer_masks, stuff_presence)):
            losses[f'd{j}.loss_mask_stuff_f'] = stuff_dice(masks)
            if self.stuff_cls_needs_things and no_things:
                losses[f'd{j}.loss_cls_stuff_f'] = logits.sum() * 0
            else:
                losses[f'd{j}.loss_cls_stuff_f'] = self.loss_stuff_cls(
                    logits.reshape(-1, 1), absent, avg_factor=num_stuff) * stuff_ratio
        return losses

    # ---------------------------------------------------------------- inference
    def predict(self, hidden_states: Tensor, references: List[Tensor], memory: Tensor,
                memory_mask: Optional[Tensor], spatial_shapes: Tensor,
                max_per_image: int = 100) -> Tuple[Tensor, Tensor, Tensor]:
        """Candidate segments of each image: the top ``max_per_image`` (query, thing class) pairs of the last
        layer (a query may appear with several classes), then the S stuff queries.

        Args:
            hidden_states, references, memory, memory_mask, spatial_shapes: see :meth:`loss`.
            max_per_image (int): thing candidates per image. Defaults to 100.

        Returns:
            tuple: scores (B, K + S) (sigmoid class probability, stuff presence), labels (B, K + S) (things,
            then ``num_things + arange(S)``) and masks (B, K + S, H1, W1) (raw, non-negative) at the finest mask
            level of the padded batch.
        """
        del references  # the boxes are not part of the panoptic result
        probs = self.cls_branches[-1](hidden_states[-1]).sigmoid()  # (B, Q, C_th)
        batch, num_queries, num_things = probs.shape
        scores, index = probs.flatten(1).topk(min(max_per_image, num_queries * num_things), dim=1)
        queries, labels = index // num_things, index % num_things
        thing_query = torch.gather(hidden_states[-1], 1, queries[..., None].expand(-1, -1, hidden_states.shape[-1]))
        tokens, token_mask, shapes = mask_tokens(memory, memory_mask, spatial_shapes, self.num_mask_levels)
        thing_masks, _, _ = self.things_mask_decoder(thing_query, tokens, shapes, None, token_mask)
        stuff_masks, _, stuff_presence = self.decode_stuff(tokens, token_mask, shapes)
        stuff_labels = torch.arange(num_things, num_things + self.num_stuff_classes, device=labels.device)
        return (torch.cat([scores, stuff_presence[-1].sigmoid()], 1),
                torch.cat([labels, stuff_labels[None].expand(batch, -1)], 1),
                torch.cat([thing_masks, stuff_masks], 1))
