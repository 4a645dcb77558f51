"""The arXiv v1 design of Panoptic SegFormer: unified queries for things and stuff, no boxes."""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmdet.structures import SampleList
from mmengine.model import BaseModule, bias_init_with_prob
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmpanoptic.models.targets import panoptic_gt_at, panoptic_segments
from mmpanoptic.registry import MODELS, TASK_UTILS
from .panoptic_segformer_head import mask_tokens, mean_count


@MODELS.register_module()
class PanopticSegFormerV1Head(BaseModule):
    """Panoptic SegFormer as the arXiv v1 paper describes it (no released checkpoint uses it).

    N queries (400 in the paper) serve things and stuff alike. The location decoder (the detector's
    Deformable DETR decoder, without box refinement) makes them location-aware; a train-only MLP
    (``loc_branch``) predicts from each the centre (x, y) and the scale (mask area / image area) of its
    segment, under an L1 loss ``loss_loc`` (weight 5). One :class:`AttentionMaskDecoder` (4 layers) gives
    the masks; one FC on its refined query (``cls_branch``) the sigmoid class scores over all classes.
    Matching: Hungarian on class (focal) + segmentation (dice) costs. Losses: focal ``loss_cls`` on every
    query, dice ``loss_mask`` (final masks) and ``d{j}.loss_mask`` (each layer), ``loss_loc``; weights
    (1, 1, 5). Masks are supervised at H/4 as in the released code.

    Inference: each query's best class and its probability; the merge is the paper's Algorithm 1 (see the
    fusion head's ``test_cfg`` in the v1 config: no rescoring, no overlap rejection, threshold 0.3).

    Args:
        num_things_classes (int), num_stuff_classes (int): class counts.
        mask_decoder (dict): :class:`AttentionMaskDecoder` config.
        num_mask_levels (int): encoder levels the mask decoder attends to. Defaults to 3.
        embed_dims (int): C. Defaults to 256.
        loss_cls (dict), loss_mask (dict), loss_loc (dict): the losses.
        share_pred_layer, num_pred_layer, as_two_stage: set by mmdet's Deformable DETR; only
            ``as_two_stage=False`` is supported (this head has no per-layer branches).
        train_cfg (dict): ``assigner``, the Hungarian matching of queries to segments.
        test_cfg (dict, optional): unused (the fusion head holds the rules).
        init_cfg (dict, optional): see :class:`mmengine.model.BaseModule`.
    """

    def __init__(self,
                 num_things_classes: int,
                 num_stuff_classes: int,
                 mask_decoder: dict,
                 num_mask_levels: int = 3,
                 embed_dims: int = 256,
                 loss_cls: dict = dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0),
                 loss_mask: dict = dict(type='DiceLoss', use_sigmoid=False, activate=False, naive_dice=False,
                                        eps=1e-6, reduction='mean', loss_weight=1.0),
                 loss_loc: dict = dict(type='L1Loss', loss_weight=5.0),
                 share_pred_layer: bool = True,
                 num_pred_layer: int = 6,
                 as_two_stage: bool = False,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if as_two_stage:
            raise ValueError('Panoptic SegFormer has no two-stage variant (as_two_stage must be False)')
        del share_pred_layer, num_pred_layer, test_cfg  # no per-layer branches; rules live in the fusion head
        self.num_things_classes = num_things_classes
        self.num_stuff_classes = num_stuff_classes
        self.num_classes = num_things_classes + num_stuff_classes
        self.num_mask_levels = num_mask_levels
        self.mask_decoder = MODELS.build(dict(mask_decoder, num_levels=num_mask_levels))
        self.cls_branch = nn.Linear(embed_dims, self.num_classes)
        self.loc_branch = nn.Sequential(
            nn.Linear(embed_dims, embed_dims), nn.ReLU(), nn.Linear(embed_dims, embed_dims), nn.ReLU(),
            nn.Linear(embed_dims, 3))
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_mask = MODELS.build(loss_mask)
        self.loss_loc = MODELS.build(loss_loc)
        if train_cfg:
            self.assigner = TASK_UTILS.build(train_cfg['assigner'])

    def init_weights(self) -> None:
        super().init_weights()
        nn.init.constant_(self.cls_branch.bias, bias_init_with_prob(0.01))
        self.mask_decoder.init_weights()

    def _decode(self, hidden_states, memory, memory_mask, spatial_shapes):
        tokens, token_mask, shapes = mask_tokens(memory, memory_mask, spatial_shapes, self.num_mask_levels)
        masks, layer_masks, layer_queries = self.mask_decoder(hidden_states[-1], tokens, shapes, None, token_mask)
        return masks, layer_masks, self.cls_branch(layer_queries[-1])

    @staticmethod
    def _centre_and_scale(masks: Tensor, meta: dict) -> Tensor:
        """(G, 3): centre x, y (fractions of the image) and area / image area of soft masks (G, h, w) on the
        padded batch grid."""
        img_h, img_w = meta['img_shape'][:2]
        pad_h, pad_w = meta['batch_input_shape']
        grid_h, grid_w = masks.shape[-2:]
        cell_h, cell_w = pad_h / grid_h, pad_w / grid_w
        ys = (torch.arange(grid_h, device=masks.device) + 0.5) * cell_h / img_h
        xs = (torch.arange(grid_w, device=masks.device) + 0.5) * cell_w / img_w
        area = masks.flatten(1).sum(1).clamp(min=1e-6)
        cx = (masks.sum(1) * xs).sum(1) / area
        cy = (masks.sum(2) * ys).sum(1) / area
        return torch.stack([cx, cy, area * cell_h * cell_w / (img_h * img_w)], 1)

    def loss(self, hidden_states: Tensor, references: List[Tensor], memory: Tensor, memory_mask: Optional[Tensor],
             spatial_shapes: Tensor, batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Arguments as :meth:`PanopticSegFormerHead.loss`; returns ``loss_cls``, ``loss_mask``,
        ``d{j}.loss_mask`` and ``loss_loc``."""
        del references
        masks, layer_masks, cls = self._decode(hidden_states, memory, memory_mask, spatial_shapes)
        loc = self.loc_branch(hidden_states[-1]).sigmoid()  # (B, N, 3)
        grid = tuple(masks.shape[-2:])
        big = (2 * grid[0], 2 * grid[1])
        num_things, num_classes = self.num_things_classes, self.num_classes
        at_grid = panoptic_gt_at(batch_data_samples, grid, num_things, num_classes)
        at_loss = panoptic_gt_at(batch_data_samples, big, num_things, num_classes)
        labels = cls.new_full(cls.shape[:2], num_classes, dtype=torch.long)
        mask_targets, matched, loc_targets = [], [], []
        for i, sample in enumerate(batch_data_samples):
            gt = panoptic_segments(at_grid[0][i], at_grid[1][i], num_things)
            gt_big = panoptic_segments(at_loss[0][i], at_loss[1][i], num_things)
            pred = InstanceData(scores=cls[i].detach(), masks=masks[i].detach())
            gt_inds = self.assigner.assign(pred, InstanceData(labels=gt.labels, masks=gt.masks),
                                           sample.metainfo).gt_inds
            positive = torch.nonzero(gt_inds > 0).squeeze(1)
            labels[i, positive] = gt.labels[gt_inds[positive] - 1]
            mask_targets.append(gt_big.masks[gt_inds[positive] - 1])
            matched.append(positive)
            loc_targets.append(self._centre_and_scale(gt.masks[gt_inds[positive] - 1], sample.metainfo))
        num_pos = mean_count(sum(len(p) for p in matched), cls)
        losses = dict(loss_cls=self.loss_cls(cls.flatten(0, 1), labels.flatten(), avg_factor=num_pos))
        targets = torch.cat(mask_targets)

        def dice(layer_masks: Tensor) -> Tensor:
            preds = torch.cat([m[p] for m, p in zip(layer_masks, matched)])
            if preds.shape[0] == 0:
                return layer_masks.sum() * 0
            preds = F.interpolate(preds[None], scale_factor=2.0, mode='bilinear', align_corners=False)[0]
            return self.loss_mask(preds, targets, avg_factor=num_pos)

        losses['loss_mask'] = dice(masks)
        for j, m in enumerate(layer_masks):
            losses[f'd{j}.loss_mask'] = dice(m)
        loc_preds = torch.cat([l[p] for l, p in zip(loc, matched)])
        losses['loss_loc'] = self.loss_loc(loc_preds, torch.cat(loc_targets), avg_factor=num_pos) \
            if len(loc_preds) else loc.sum() * 0
        return losses

    def predict(self, hidden_states: Tensor, references: List[Tensor], memory: Tensor,
                memory_mask: Optional[Tensor], spatial_shapes: Tensor,
                max_per_image: int = 100) -> Tuple[Tensor, Tensor, Tensor]:
        """Every query with its best class: scores (B, N), labels (B, N), raw masks (B, N, H1, W1).
        ``max_per_image`` is unused (all N queries are candidates, as Algorithm 1)."""
        del references, max_per_image
        masks, _, cls = self._decode(hidden_states, memory, memory_mask, spatial_shapes)
        scores, labels = cls.sigmoid().max(-1)
        return scores, labels, masks
