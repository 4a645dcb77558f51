"""The dense-detection panoptic head of RT-PanoNet ("Real-Time Panoptic Segmentation from Dense Detections",
Hou et al., CVPR 2020; released inference code ``TRI-ML/realtime_panoptic``).

Layout (R-50-FPN, input H x W, L = 5 levels of strides 8..128; shared across levels)::

    P_i (B, 256, h_i, w_i) --sem tower: 4 x [conv3x3 -> GN(16) -> ReLU], 128 ch--> F_sem_i (B, 128, h_i, w_i)
                           --loc tower: 4 x [conv3x3 -> GN(32) -> ReLU], 256 ch--> F_loc_i (B, 256, h_i, w_i)
    box class   conv3x3(F_sem_i) -> (B, T, h_i, w_i)            T thing classes, sigmoid
    box reg     exp(clamp(s_i * conv3x3(F_loc_i), max=ln 1e4)) -> (B, 4, h_i, w_i)   (l, t, r, b) in pixels
    centerness  conv3x3(F_loc_i) -> (B, 1, h_i, w_i)
    semantic    conv3x3(cat_i bilinear(F_sem_i, P3 size)) -> (B, C, H/8, W/8)       (640 input channels)
    levelness   conv3x3(cat_i bilinear(F_loc_i, 2x P3 size)) -> (B, L + 1, H/4, W/4) (1280; channel 0 = none)

Training follows the paper (the code has none): FCOS-style targets assigned from the instance masks
(:mod:`mmpanoptic.models.targets.dense_targets`), IoU, centerness, focal, levelness, bootstrapped semantic
and explicit mask losses. Inference follows the released code (:mod:`...post_processing.dense_box_masks`),
then the panoptic fusion of Kirillov et al. (:func:`...post_processing.merge_instances_and_semantics`).
"""
import math
from typing import List, NamedTuple, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, Scale
from mmcv.ops import batched_nms
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox_overlaps
from mmdet.utils import reduce_mean
from mmengine.config import ConfigDict
from mmengine.model import BaseModule
from mmengine.structures import InstanceData, PixelData
from torch import Tensor

from mmpanoptic.errors import ConfigError
from mmpanoptic.registry import MODELS
from ..post_processing.dense_box_masks import (CORRELATIONS, box_correlation, dense_box_map, distance_to_box,
                                               level_points, query_boxes, query_mask_scores, upsample_masks)
from ..post_processing.panoptic_merge import merge_instances_and_semantics
from ..targets.dense_targets import (ASSIGN_MODES, FCOS_RANGES, ImageGT, LocationTargets, image_gt, level_ranges, levelness_target,
                                     location_targets, point_owner, stack_levels)
from ..targets.panoptic_targets import _padded

MASK_LOSS_QUERIES = ('nms', 'gt')
PRIOR_BIAS_ON = ('semantic', 'box_cls')
BOX_CLS_NORMALIZERS = ('locations', 'foreground')


class RTPanoOutputs(NamedTuple):
    """Raw head outputs: per level ``box_cls`` (B, T, h_i, w_i) logits, ``box_reg`` (B, 4, h_i, w_i)
    distances, ``centerness`` (B, 1, h_i, w_i) logits; ``semantic`` (B, C, H/8, W/8) logits; ``levelness``
    (B, L + 1, H/4, W/4) logits (None without levelness)."""
    box_cls: List[Tensor]
    box_reg: List[Tensor]
    centerness: List[Tensor]
    semantic: Tensor
    levelness: Optional[Tensor]

    def flat(self) -> Tuple[Tensor, ...]:
        """The tensors in one tuple: box_cls, box_reg, centerness (level 0 first), semantic, levelness."""
        rest = (self.semantic, ) if self.levelness is None else (self.semantic, self.levelness)
        return (*self.box_cls, *self.box_reg, *self.centerness, *rest)

    @classmethod
    def from_flat(cls, tensors: Sequence[Tensor], num_levels: int) -> 'RTPanoOutputs':
        """The inverse of :meth:`flat` (3 L + 1 tensors without levelness, 3 L + 2 with)."""
        if len(tensors) not in (3 * num_levels + 1, 3 * num_levels + 2):
            raise ValueError(f'expected {3 * num_levels + 1} or {3 * num_levels + 2} tensors for {num_levels} '
                             f'levels, got {len(tensors)}')
        levels = [list(tensors[i * num_levels:(i + 1) * num_levels]) for i in range(3)]
        rest = list(tensors[3 * num_levels:])
        return cls(*levels, rest[0], rest[1] if len(rest) == 2 else None)


def _tower(in_channels: int, channels: int, num_convs: int, norm_cfg: dict) -> nn.Sequential:
    return nn.Sequential(*[
        ConvModule(in_channels if i == 0 else channels, channels, 3, padding=1, bias=True, norm_cfg=norm_cfg,
                   act_cfg=dict(type='ReLU')) for i in range(num_convs)
    ])


@MODELS.register_module()
class RTPanoHead(BaseModule):
    """Towers, per-level box predictions, global semantic and levelness heads; losses and inference.

    Args:
        num_things_classes (int): thing classes (labels ``[0, T)``).
        num_stuff_classes (int): stuff classes (labels ``[T, C)``).
        in_channels (int): FPN channels; the localisation tower's width. Defaults to 256.
        sem_channels (int): the semantics tower's width. Defaults to 128.
        strides (tuple[int]): the FPN levels' strides. Defaults to (8, 16, 32, 64, 128).
        num_convs (int): convs per tower. Defaults to 4.
        sem_norm_cfg (dict): norm of the semantics tower. Defaults to GN with 16 groups.
        loc_norm_cfg (dict): norm of the localisation tower. Defaults to GN with 32 groups.
        shared_tower (bool): one tower (the localisation tower) for every prediction, the paper's ablation
            (56.8 PQ vs 57.1 on Cityscapes). Defaults to False.
        use_levelness (bool): predict levelness; without it a query takes the best-matching level of each
            pixel (the paper's ablation, about -1 PQ). Defaults to True.
        prior_prob (float): the focal prior of the bias init ``-log((1 - p) / p)``. Defaults to 0.01.
        prior_bias_on (str): ``'semantic'`` puts it on the semantic conv, as the released code does (it
            looks like a slip); ``'box_cls'`` on the box classifier, as in FCOS. Defaults to 'semantic'.
        regress_ranges (tuple): size range per level (FCOS's by default; the paper gives none).
        assign (str): ``'mask'`` (the paper: foreground inside the instance mask) or ``'box'`` (weakly
            supervised: inside the box, smallest box wins; use with ``loss_mask=None``). Defaults to 'mask'.
        box_cls_normalizer (str): ``'locations'`` divides the focal loss by the number of (non-ignored)
            locations, as the paper says; ``'foreground'`` by the foreground locations, as FCOS.
        mask_loss_queries (str): the query boxes of the mask loss, which the paper leaves open: ``'nms'``
            (the predicted boxes at foreground locations after per-class NMS, detached scores; what the
            released ``is_training`` path hints at) or ``'gt'`` (the ground-truth boxes, beta = 1).
        mask_loss_max_queries (int): queries per image of the mask loss. Defaults to 100.
        loss_box_cls, loss_box_reg, loss_centerness, loss_levelness, loss_semantic (dict): loss configs.
        loss_mask (dict, optional): :class:`ExplicitMaskLoss`; None switches the mask loss off.
        train_cfg (dict, optional): ``nms_iou_thr`` of the mask-loss queries.
        test_cfg (dict): inference settings; see :meth:`predict`.
        init_cfg (dict, optional): Defaults to None (the init of :meth:`init_weights`).
    """

    def __init__(self,
                 num_things_classes: int,
                 num_stuff_classes: int,
                 loss_box_cls: dict,
                 loss_box_reg: dict,
                 loss_centerness: dict,
                 loss_levelness: dict,
                 loss_semantic: dict,
                 test_cfg: dict,
                 loss_mask: Optional[dict] = None,
                 in_channels: int = 256,
                 sem_channels: int = 128,
                 strides: Sequence[int] = (8, 16, 32, 64, 128),
                 num_convs: int = 4,
                 sem_norm_cfg: dict = dict(type='GN', num_groups=16),
                 loc_norm_cfg: dict = dict(type='GN', num_groups=32),
                 shared_tower: bool = False,
                 use_levelness: bool = True,
                 prior_prob: float = 0.01,
                 prior_bias_on: str = 'semantic',
                 regress_ranges: Sequence[Tuple[float, float]] = FCOS_RANGES,
                 assign: str = 'mask',
                 box_cls_normalizer: str = 'locations',
                 mask_loss_queries: str = 'nms',
                 mask_loss_max_queries: int = 100,
                 train_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        test_cfg = ConfigDict(test_cfg)
        for key, value, allowed in (('panoptic_head.assign', assign, ASSIGN_MODES),
                                    ('panoptic_head.prior_bias_on', prior_bias_on, PRIOR_BIAS_ON),
                                    ('panoptic_head.mask_loss_queries', mask_loss_queries, MASK_LOSS_QUERIES),
                                    ('panoptic_head.box_cls_normalizer', box_cls_normalizer, BOX_CLS_NORMALIZERS),
                                    ('test_cfg.mask_score', test_cfg.get('mask_score', 'smoothed_giou'), CORRELATIONS)):
            if value not in allowed:
                raise ConfigError(f'model.{key}: {value!r} is not one of {allowed} (choose one of them)')
        if len(regress_ranges) != len(strides):
            raise ConfigError(f'model.panoptic_head.regress_ranges: {len(regress_ranges)} ranges for {len(strides)} '
                              'strides (give one (min, max) range per level)')
        self.num_things_classes = num_things_classes
        self.num_stuff_classes = num_stuff_classes
        self.num_classes = num_things_classes + num_stuff_classes
        self.strides = tuple(strides)
        self.num_levels = len(strides)
        self.shared_tower = shared_tower
        self.use_levelness = use_levelness
        self.prior_prob = prior_prob
        self.prior_bias_on = prior_bias_on
        self.regress_ranges = tuple(tuple(r) for r in regress_ranges)
        self.assign = assign
        self.box_cls_normalizer = box_cls_normalizer
        self.mask_loss_queries = mask_loss_queries
        self.mask_loss_max_queries = mask_loss_max_queries
        self.train_cfg = ConfigDict(train_cfg or {})
        self.test_cfg = test_cfg

        self.loc_tower = _tower(in_channels, in_channels, num_convs, loc_norm_cfg)
        sem_out = in_channels if shared_tower else sem_channels
        self.sem_tower = None if shared_tower else _tower(in_channels, sem_channels, num_convs, sem_norm_cfg)
        self.box_cls_conv = nn.Conv2d(sem_out, num_things_classes, 3, padding=1)
        self.box_reg_conv = nn.Conv2d(in_channels, 4, 3, padding=1)
        self.centerness_conv = nn.Conv2d(in_channels, 1, 3, padding=1)
        self.semantic_conv = nn.Conv2d(sem_out * self.num_levels, self.num_classes, 3, padding=1)
        self.levelness_conv = nn.Conv2d(in_channels * self.num_levels, self.num_levels + 1, 3, padding=1) \
            if use_levelness else None
        self.scales = nn.ModuleList([Scale(1.0) for _ in strides])

        self.loss_box_cls = MODELS.build(loss_box_cls)
        self.loss_box_reg = MODELS.build(loss_box_reg)
        self.loss_centerness = MODELS.build(loss_centerness)
        self.loss_levelness = MODELS.build(loss_levelness) if use_levelness else None
        self.loss_semantic = MODELS.build(loss_semantic)
        self.loss_mask = MODELS.build(loss_mask) if loss_mask is not None else None

    def init_weights(self) -> None:
        """The released init: every conv N(0, 0.01), bias 0; the focal prior bias on ``prior_bias_on``."""
        super().init_weights()
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.normal_(module.weight, std=0.01)
                nn.init.constant_(module.bias, 0)
        conv = self.semantic_conv if self.prior_bias_on == 'semantic' else self.box_cls_conv
        nn.init.constant_(conv.bias, -math.log((1 - self.prior_prob) / self.prior_prob))

    def forward(self, feats: Sequence[Tensor]) -> RTPanoOutputs:
        """
        Args:
            feats (list[Tensor]): FPN levels (B, in_channels, h_i, w_i), stride 8 first.

        Returns:
            RTPanoOutputs: see its docstring.
        """
        if len(feats) != self.num_levels:
            raise ValueError(f'the head has {self.num_levels} levels, the neck gives {len(feats)}')
        sem_size = feats[0].shape[-2:]
        level_size = (sem_size[0] * 2, sem_size[1] * 2)
        box_cls, box_reg, centerness, sem_feats, loc_feats = [], [], [], [], []
        for feat, scale in zip(feats, self.scales):
            loc = self.loc_tower(feat)
            sem = loc if self.shared_tower else self.sem_tower(feat)
            box_cls.append(self.box_cls_conv(sem))
            centerness.append(self.centerness_conv(loc))
            box_reg.append(torch.exp(scale(self.box_reg_conv(loc)).clamp(max=math.log(10000))))
            sem_feats.append(F.interpolate(sem, size=sem_size, mode='bilinear', align_corners=False))
            if self.use_levelness:
                loc_feats.append(F.interpolate(loc, size=level_size, mode='bilinear', align_corners=False))
        semantic = self.semantic_conv(torch.cat(sem_feats, dim=1))
        levelness = self.levelness_conv(torch.cat(loc_feats, dim=1)) if self.use_levelness else None
        return RTPanoOutputs(box_cls, box_reg, centerness, semantic, levelness)

    # ----------------------------------------------------------------------------------------------- training
    def loss(self, feats: Sequence[Tensor], batch_data_samples: SampleList) -> dict:
        """The losses of a batch; ``gt_instances`` (labels, masks, bboxes) and ``gt_sem_seg`` are needed."""
        outs = self(feats)
        device = outs.semantic.device
        sizes = [tuple(c.shape[-2:]) for c in outs.box_cls]
        points = torch.cat([level_points(s, z, device) for s, z in zip(sizes, self.strides)])
        point_level = torch.cat([torch.full((h * w, ), i, device=device, dtype=torch.long)
                                 for i, (h, w) in enumerate(sizes)])
        grid_size = (sizes[0][0] * 2, sizes[0][1] * 2)
        grid = level_points(grid_size, self.strides[0] // 2, device)
        ranges = level_ranges(self.regress_ranges, device)
        gts = [image_gt(s, self.num_things_classes) for s in batch_data_samples]
        targets = [location_targets(points, ranges, point_level, gt, self.num_things_classes, self.assign) for gt in gts]

        cls = stack_levels(outs.box_cls)  # (B, N, T)
        reg = stack_levels(outs.box_reg)  # (B, N, 4)
        ctr = stack_levels(outs.centerness)[..., 0]  # (B, N)
        labels = torch.stack([t.labels for t in targets])
        valid = labels >= 0
        pos = valid & (labels < self.num_things_classes)
        num_pos = max(reduce_mean(pos.sum().float()).item(), 1.0)
        num_valid = max(reduce_mean(valid.sum().float()).item(), 1.0)
        losses = dict(loss_box_cls=self.loss_box_cls(
            cls[valid], labels[valid], avg_factor=num_valid if self.box_cls_normalizer == 'locations' else num_pos))
        if pos.any():
            pos_points = points[None].expand(len(gts), -1, -1)[pos]
            dist_t = torch.stack([t.distances for t in targets])[pos]
            losses['loss_box_reg'] = self.loss_box_reg(distance_to_box(pos_points, reg[pos]),
                                                       distance_to_box(pos_points, dist_t), avg_factor=num_pos)
            ctr_t = torch.stack([t.centerness for t in targets])[pos]
            losses['loss_centerness'] = self.loss_centerness(ctr[pos], ctr_t, avg_factor=num_pos)
        else:  # no thing in the batch: zero losses that keep every parameter in the graph
            losses['loss_box_reg'] = reg.sum() * 0.0
            losses['loss_centerness'] = ctr.sum() * 0.0
        if self.use_levelness:  # the size rule at every /4 pixel, on any level
            any_level = point_level.new_full((grid.shape[0], ), -1)
            level_t = torch.stack([
                levelness_target(location_targets(grid, ranges, any_level, gt, self.num_things_classes, self.assign),
                                 grid_size) for gt in gts
            ])
            losses['loss_levelness'] = self.loss_levelness(outs.levelness, level_t)
        semantic_t = torch.stack([_padded(s.gt_sem_seg.sem_seg.long(), tuple(s.metainfo['batch_input_shape']), 255)[0]
                                  for s in batch_data_samples])
        semantic = F.interpolate(outs.semantic, size=semantic_t.shape[-2:], mode='bilinear', align_corners=False)
        losses['loss_semantic'] = self.loss_semantic(semantic, semantic_t)
        if self.loss_mask is not None:
            losses['loss_mask'] = self._mask_loss(outs, targets, gts, grid, grid_size, points)
        return losses

    def _mask_loss(self, outs: RTPanoOutputs, targets: List[LocationTargets], gts: List[ImageGT], grid: Tensor,
                   grid_size: Tuple[int, int], points: Tensor) -> Tensor:
        """The explicit mask loss of the batch: the mean over images of :class:`ExplicitMaskLoss`."""
        dense = dense_box_map(outs.box_reg, outs.levelness.detach() if self.use_levelness else None, grid_size,
                              self.strides[0] // 2)
        reg = stack_levels(outs.box_reg)
        cls = stack_levels(outs.box_cls).detach()
        ctr = stack_levels(outs.centerness)[..., 0].detach()
        px, py = grid[:, 0].long(), grid[:, 1].long()  # the /4 grid's pixels, the same for every image
        losses = []
        for i, (t, gt) in enumerate(zip(targets, gts)):
            if self.mask_loss_queries == 'gt':
                boxes, instance = gt.boxes, torch.arange(gt.labels.numel(), device=grid.device)
                beta = boxes.new_ones(boxes.shape[0])
            else:
                pos = torch.nonzero(t.instance >= 0).squeeze(1)
                boxes = distance_to_box(points[pos], reg[i, pos])
                scores = cls[i, pos, t.labels[pos]].sigmoid() * ctr[i, pos].sigmoid()
                if pos.numel():
                    _, keep = batched_nms(boxes.detach(), scores, t.labels[pos],
                                          dict(type='nms', iou_threshold=self.train_cfg.get('nms_iou_thr', 0.6)))
                    keep = keep[:self.mask_loss_max_queries]
                    pos, boxes = pos[keep], boxes[keep]
                instance = t.instance[pos]
                beta = bbox_overlaps(boxes.detach(), gt.boxes[instance], is_aligned=True)
            gt_masks = point_owner(grid, gt, 'mask')[None] == instance[:, None]  # (Q, P)
            corr = box_correlation(boxes, dense[i], 'iou')
            if corr.dim() == 3:  # (L, Q, P) without levelness: the best-matching level of each pixel
                corr = corr.max(dim=0).values
            losses.append(self.loss_mask(corr, gt_masks, beta, gt.valid[py, px]))
        return torch.stack(losses).mean()

    # ---------------------------------------------------------------------------------------------- inference
    def predict(self, feats: Sequence[Tensor], batch_data_samples: SampleList, rescale: bool = True) -> SampleList:
        """Panoptic, instance and semantic predictions, written into ``batch_data_samples``.

        ``test_cfg`` keys: ``score_thr`` (candidate class probability, 0.05; the released demo 0.06),
        ``nms_pre`` (1000), ``nms_iou_thr`` (0.6), ``global_iou_thr`` (0.97), ``max_per_img`` (100),
        ``mask_score`` (``'smoothed_giou'``, the released code, or ``'iou'``, the paper), ``mask_thr``
        (0.4 released, 0.3 paper), ``instance_score_thr`` (0.5), ``overlap_thr`` (0.5), ``stuff_area_thr``
        (4096 pixels) and ``instance_masks`` (also return every detection's mask in ``pred_instances``;
        O(P * H * W) memory).

        Each sample gets ``pred_panoptic_seg.sem_seg`` (1, H, W) long (``label + id * INSTANCE_OFFSET``,
        void = ``num_classes``), ``pred_sem_seg.sem_seg`` (1, H, W) long and ``pred_instances`` (``bboxes``,
        ``scores``, ``labels``; ``masks`` with ``instance_masks``), at ``ori_shape`` when ``rescale``.
        """
        return self.predict_by_outputs(self(feats), batch_data_samples, rescale=rescale)

    def predict_by_outputs(self, outs: RTPanoOutputs, batch_data_samples: SampleList,
                           rescale: bool = True) -> SampleList:
        """The post-processing of :meth:`predict` on raw outputs (of this head, or of an exported network:
        see :meth:`RTPanoOutputs.from_flat`)."""
        cfg = self.test_cfg
        grid_size = tuple(outs.levelness.shape[-2:]) if self.use_levelness else \
            (outs.semantic.shape[-2] * 2, outs.semantic.shape[-1] * 2)
        dense = dense_box_map(outs.box_reg, outs.levelness, grid_size, self.strides[0] // 2)
        # Thing probabilities of a softmax over all classes, at the /4 grid.
        sem_probs = F.interpolate(outs.semantic, size=grid_size, mode='bilinear', align_corners=False).softmax(1)
        for i, sample in enumerate(batch_data_samples):
            meta = sample.metainfo
            img_shape, padded = tuple(meta['img_shape'][:2]), tuple(meta['batch_input_shape'])
            out_shape = tuple(meta['ori_shape'][:2]) if rescale else img_shape
            queries = query_boxes([c[i] for c in outs.box_cls], [r[i] for r in outs.box_reg],
                                  [c[i] for c in outs.centerness], self.strides, img_shape,
                                  score_thr=cfg.get('score_thr', 0.05), nms_pre=cfg.get('nms_pre', 1000),
                                  nms_iou_thr=cfg.get('nms_iou_thr', 0.6),
                                  global_iou_thr=cfg.get('global_iou_thr', 0.97),
                                  max_per_img=cfg.get('max_per_img', 100))
            scores = query_mask_scores(queries, dense[i], sem_probs[i, :self.num_things_classes],
                                       cfg.get('mask_score', 'smoothed_giou'))
            semantic = F.interpolate(outs.semantic[i:i + 1], size=padded, mode='bilinear', align_corners=False)
            semantic = semantic[..., :img_shape[0], :img_shape[1]]
            if out_shape != img_shape:
                semantic = F.interpolate(semantic, size=out_shape, mode='bilinear', align_corners=False)
            semantic = semantic[0].argmax(0)
            mask_thr = cfg.get('mask_thr', 0.4)
            pasted = queries.scores >= cfg.get('instance_score_thr', 0.5)
            masks = upsample_masks(scores[pasted], padded, img_shape, out_shape, mask_thr)
            merged = merge_instances_and_semantics(masks, queries.scores[pasted], queries.labels[pasted], semantic,
                                                   self.num_things_classes, self.num_classes,
                                                   overlap_thr=cfg.get('overlap_thr', 0.5),
                                                   stuff_area_thr=cfg.get('stuff_area_thr', 4096))
            boxes = queries.boxes
            if rescale and 'scale_factor' in meta:
                boxes = boxes / boxes.new_tensor(meta['scale_factor']).repeat(2)
            instances = InstanceData(bboxes=boxes, scores=queries.scores, labels=queries.labels)
            if cfg.get('instance_masks', False):
                instances.masks = upsample_masks(scores, padded, img_shape, out_shape, mask_thr)
            sample.pred_instances = instances
            sample.pred_panoptic_seg = PixelData(sem_seg=merged.panoptic[None])
            sample.pred_sem_seg = PixelData(sem_seg=semantic[None])
        return batch_data_samples

