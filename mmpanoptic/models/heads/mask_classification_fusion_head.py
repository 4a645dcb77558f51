"""The one mask-classification fusion head: class and mask logits of N queries -> ``pred_panoptic_seg``."""
import math
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmdet.structures import SampleList
from mmdet.structures.mask import mask2bbox
from mmengine.config import ConfigDict
from mmengine.model import BaseModule
from mmengine.structures import InstanceData, PixelData
from torch import Tensor

from mmpanoptic.models.post_processing import merge_panoptic_iterative, merge_panoptic_paint, merge_panoptic_parallel
from mmpanoptic.models.post_processing.panoptic_merge import OVERLAP_RULES
from mmpanoptic.registry import MODELS

_MERGERS = dict(iterative=merge_panoptic_iterative, parallel=merge_panoptic_parallel, paint=merge_panoptic_paint)
_CHOICES = dict(
    scorer=('sigmoid', 'softmax'),
    score_filter=('things', 'all', 'object', 'by_kind'),
    rescore=('none', 'mask_quality_squared'),
    merge=tuple(_MERGERS),
    mask_resize=('pad_crop', 'pad_crop_logits', 'direct', 'crop_direct'),
    mask_activation=('sigmoid', 'identity'),
    segment_mask=('argmax', 'argmax_and_own'),
    overlap_rule=OVERLAP_RULES,
    tie_order=('things_first', 'stuff_first'))


@MODELS.register_module()
class MaskClassificationFusionHead(BaseModule):
    """Panoptic (and optionally instance) results from the class and mask logits of N queries.

    One head for every mask-classification model of the project (K-Net, RT-K-Net, YOSO); a method is a
    choice of rules in ``test_cfg`` (its base config states them):

    ====================  ==============  ===============  ==============
    rule                  K-Net           RT-K-Net         YOSO
    ====================  ==============  ===============  ==============
    ``scorer``            sigmoid, bound  sigmoid          softmax
    ``score_filter``      things          all              object
    ``mask_resize``       pad_crop        direct           pad_crop_logits
    ``segment_mask``      argmax          argmax           argmax_and_own
    ``overlap_rule``      ratio           scaled_area      ratio
    ``tie_order``         things_first    stuff_first      things_first
    ====================  ==============  ===============  ==============

    ``test_cfg`` keys:

    * ``scorer``: ``'sigmoid'`` (default: a query scores ``max`` of its sigmoid class probabilities; with
      ``num_bound_kernels`` the trailing kernels are bound to the stuff classes and score their own class
      only, K-Net) or ``'softmax'`` (the last column is a no-object class, MaskFormer / YOSO).
    * ``score_thr`` (0.3) and ``score_filter``: ``'things'`` (things below the threshold cannot become
      segments but take part in the argmax), ``'all'`` (queries below ``min(score_thr, max score)`` are
      dropped before the argmax) or ``'object'`` (queries whose best class is no-object or whose score is not
      above ``score_thr`` are dropped before the argmax). Default: ``'things'`` with bound kernels, else
      ``'all'``.
    * ``mask_resize``: ``'pad_crop'`` (default; sigmoid, bilinear resize to the padded input, crop the image,
      resize to the original size), ``'pad_crop_logits'`` (the same on the logits, sigmoid last; mmdet's
      MaskFormer) or ``'direct'`` (logits resized straight to the un-padded image size, then sigmoid; the
      map is resized to the original size with nearest neighbour; RT-K-Net) or ``'crop_direct'`` (the mask
      grid, at stride ``mask_stride`` (8) of the padded input, is cropped to the ``ceil(img_h / mask_stride)``
      x ``ceil(img_w / mask_stride)`` cells of the un-padded image and resized straight to the output size:
      an image padded in a batch gets the grid it has alone, whose size is the same ceiling; Panoptic
      SegFormer).
    * ``mask_activation``: ``'sigmoid'`` (default; masks are logits) or ``'identity'`` (masks are already
      non-negative scores thresholded at ``mask_thr`` as they are; Panoptic SegFormer).
    * ``score_filter='by_kind'``: things below ``score_thr`` and stuff below ``stuff_score_thr`` (default
      ``score_thr``) cannot become segments (Panoptic SegFormer's quality thresholds).
    * ``rescore``: ``'none'`` (default) or ``'mask_quality_squared'``: after resizing, a query's score is
      multiplied by ``q^2`` with ``q`` the mean probability inside its mask (``> mask_thr``; denominator
      area + 1), before filtering and merging (Panoptic SegFormer).
    * ``segment_mask``: a segment is the query's argmax pixels (``'argmax'``, default) or those of them where
      its own probability is >= ``mask_thr`` (``'argmax_and_own'``; mmdet's ``filter_low_score``).
    * ``overlap_thr`` (0.6), ``mask_thr`` (0.5), ``overlap_rule`` (``'ratio'`` or ``'scaled_area'``),
      ``merge`` (``'parallel'`` default, ``'iterative'``, or ``'paint'``: masks painted by descending score
      onto free pixels, a mask dropped if more than ``overlap_thr`` (things) / ``stuff_overlap_thr`` (stuff) of
      it is already painted): see :mod:`mmpanoptic.models.post_processing.panoptic_merge`.
    * ``tie_order``: which class wins when two class probabilities are equal (they saturate to exactly 1.0
      in float32): ``'things_first'`` (default, the first column of mmpanoptic's order) or
      ``'stuff_first'`` (official RT-K-Net, whose class order is stuff first).
    * ``instance_on`` (False), ``max_per_image`` (100): also return instance results: the top
      ``max_per_image`` (query, thing class) pairs by class probability, scored by probability x mean mask
      probability inside the mask (mmdet's MaskFormer rule).
    * ``panoptic_on`` (True): return the panoptic map.

    Output per image (a dict, as mmdet's fusion heads): ``pan_results`` (``PixelData`` with ``sem_seg``
    (1, H, W) long, ``label + instance_id * INSTANCE_OFFSET``, VOID = ``num_classes``), ``segment_queries``
    (the indices (K,) of the queries whose segments are in the map) and ``segment_values`` (K,) their values
    in it, so that trackers can attach ids to queries; ``ins_results`` with ``instance_on``.

    Args:
        num_things_classes (int): thing classes.
        num_stuff_classes (int): stuff classes.
        num_bound_kernels (int): trailing kernels bound to the stuff classes (sigmoid scorer). Defaults to 0.
        test_cfg (dict, optional): see above; unknown keys raise.
        init_cfg (dict, optional): unused (no parameters).
    """

    TEST_CFG_KEYS = ('scorer', 'score_thr', 'stuff_score_thr', 'score_filter', 'rescore', 'overlap_thr',
                     'stuff_overlap_thr', 'mask_thr', 'merge', 'mask_resize', 'mask_stride', 'mask_activation',
                     'segment_mask', 'overlap_rule', 'tie_order', 'instance_on', 'max_per_image', 'panoptic_on')

    def __init__(self,
                 num_things_classes: int,
                 num_stuff_classes: int,
                 num_bound_kernels: int = 0,
                 test_cfg: Optional[dict] = None,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.num_things_classes = num_things_classes
        self.num_stuff_classes = num_stuff_classes
        self.num_classes = num_things_classes + num_stuff_classes
        self.num_bound_kernels = num_bound_kernels
        cfg = ConfigDict(test_cfg or {})
        unknown = sorted(set(cfg) - set(self.TEST_CFG_KEYS))
        if unknown:
            raise ValueError(f'{type(self).__name__}: unknown test_cfg keys {unknown} (known: {self.TEST_CFG_KEYS})')
        self.scorer = cfg.get('scorer', 'sigmoid')
        self.score_thr = cfg.get('score_thr', 0.3)
        self.stuff_score_thr = cfg.get('stuff_score_thr', self.score_thr)
        self.rescore = cfg.get('rescore', 'none')
        self.stuff_overlap_thr = cfg.get('stuff_overlap_thr')
        self.score_filter = cfg.get('score_filter', 'things' if num_bound_kernels else 'all')
        self.overlap_thr = cfg.get('overlap_thr', 0.6)
        self.mask_thr = cfg.get('mask_thr', 0.5)
        self.merge = cfg.get('merge', 'parallel')
        self.mask_resize = cfg.get('mask_resize', 'pad_crop')
        self.mask_activation = cfg.get('mask_activation', 'sigmoid')
        self.mask_stride = cfg.get('mask_stride', 8)
        self.segment_mask = cfg.get('segment_mask', 'argmax')
        self.overlap_rule = cfg.get('overlap_rule', 'ratio')
        self.tie_order = cfg.get('tie_order', 'things_first')
        self.instance_on = cfg.get('instance_on', False)
        self.panoptic_on = cfg.get('panoptic_on', True)
        self.max_per_image = cfg.get('max_per_image', 100)
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f'test_cfg.{name} must be one of {allowed}, got {getattr(self, name)!r}')
        if self.scorer == 'softmax' and num_bound_kernels:
            raise ValueError('num_bound_kernels needs the sigmoid scorer (bound stuff kernels score their class)')

    def class_probs(self, cls_logits: Tensor) -> Tensor:
        """Per-class probabilities (N, C) of the queries of one image from class logits (N, C) or (N, C + 1)."""
        if self.scorer == 'softmax':
            return cls_logits.float().softmax(-1)[:, :-1]
        return cls_logits.float().sigmoid()

    def scores_and_labels(self, cls_logits: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Scores (N,), labels (N,) and whether each query is an object (N,) from class logits of one image.

        A query is not an object when the softmax scorer's best class is the no-object class.
        """
        if self.scorer == 'softmax':
            scores, labels = cls_logits.float().softmax(-1).max(-1)
            return scores, labels, labels != self.num_classes
        probs = cls_logits.float().sigmoid()
        objects = torch.ones(probs.shape[0], dtype=torch.bool, device=probs.device)
        if self.num_bound_kernels:
            num_matched = probs.shape[0] - self.num_bound_kernels
            thing_scores, thing_labels = probs[:num_matched, :self.num_things_classes].max(-1)
            stuff_labels = torch.arange(self.num_things_classes, self.num_things_classes + self.num_bound_kernels,
                                        device=probs.device)
            stuff_scores = probs[num_matched:, self.num_things_classes:].diagonal()
            return torch.cat([thing_scores, stuff_scores]), torch.cat([thing_labels, stuff_labels]), objects
        if self.tie_order == 'things_first':
            return (*probs.max(-1), objects)
        # (N, C) columns reordered stuff first: ``max`` picks the first of equal columns in that order.
        things = self.num_things_classes
        scores, index = torch.cat([probs[:, things:], probs[:, :things]], dim=1).max(-1)
        num_stuff = probs.shape[1] - things
        return scores, torch.where(index < num_stuff, index + things, index - num_stuff), objects

    def resize_masks(self, mask_logits: Tensor, meta: dict, rescale: bool) -> Tensor:
        """Mask probabilities (N, H', W') of one image at the output size of ``mask_resize`` (see class doc)."""
        img_h, img_w = meta['img_shape'][:2]
        out_size = tuple(meta['ori_shape'][:2]) if rescale else (img_h, img_w)
        if mask_logits.shape[0] == 0:  # no query passed the score filter
            size = (img_h, img_w) if self.mask_resize == 'direct' else out_size
            return mask_logits.new_zeros((0, *size), dtype=torch.float32)
        masks = mask_logits.float()[None]
        activate = torch.sigmoid if self.mask_activation == 'sigmoid' else (lambda x: x)
        if self.mask_resize == 'direct':
            return activate(F.interpolate(masks, (img_h, img_w), mode='bilinear', align_corners=False)[0])
        if self.mask_resize == 'crop_direct':
            masks = masks[..., :math.ceil(img_h / self.mask_stride), :math.ceil(img_w / self.mask_stride)]
            return activate(F.interpolate(masks, out_size, mode='bilinear', align_corners=False)[0])
        if self.mask_resize == 'pad_crop':
            masks = activate(masks)
        pad_size = tuple(meta['batch_input_shape'])
        if masks.shape[-2:] != pad_size:
            masks = F.interpolate(masks, pad_size, mode='bilinear', align_corners=False)
        masks = masks[..., :img_h, :img_w]
        if masks.shape[-2:] != out_size:
            masks = F.interpolate(masks, out_size, mode='bilinear', align_corners=False)
        return masks[0] if self.mask_resize == 'pad_crop' else activate(masks[0])

    def panoptic_single(self, cls_logits: Tensor, mask_logits: Tensor, meta: dict,
                        rescale: bool) -> Tuple[Tensor, Tensor, Tensor]:
        """Panoptic map (H, W) of one image from class logits (N, C[+1]) and mask logits (N, h, w), with the
        indices (K,) of the queries that wrote segments and their values (K,)."""
        return self.panoptic_from_scores(*self.scores_and_labels(cls_logits), mask_logits, meta, rescale)

    def panoptic_from_scores(self, scores: Tensor, labels: Tensor, objects: Tensor, mask_logits: Tensor,
                             meta: dict, rescale: bool) -> Tuple[Tensor, Tensor, Tensor]:
        """:meth:`panoptic_single` for queries whose scores (N,), labels (N,) and object flags (N,) are given
        (a head that picks (query, class) pairs itself, e.g. Panoptic SegFormer's top-k over all pairs)."""
        is_thing = labels < self.num_things_classes
        if self.rescore == 'mask_quality_squared':  # needs every query's mask at the output size
            probs = self.resize_masks(mask_logits, meta, rescale)
            inside = probs > self.mask_thr
            quality = (probs * inside).flatten(1).sum(1) / (inside.flatten(1).sum(1) + 1)
            scores = scores * quality**2
        if self.score_filter == 'all':
            candidates = scores >= min(self.score_thr, float(scores.max())) if len(scores) else objects
            eligible = torch.ones_like(candidates)
        elif self.score_filter == 'object':
            candidates = objects & (scores > self.score_thr)
            eligible = torch.ones_like(candidates)
        elif self.score_filter == 'by_kind':
            candidates = objects
            eligible = torch.where(is_thing, scores >= self.score_thr, scores >= self.stuff_score_thr)
        else:
            candidates = objects
            eligible = ~is_thing | (scores >= self.score_thr)
        query_index = torch.nonzero(candidates).flatten()
        if self.rescore != 'none':
            masks = probs if len(query_index) == len(probs) else probs[query_index]
        else:
            masks = self.resize_masks(mask_logits[query_index], meta, rescale)
        args = (masks, scores[query_index], labels[query_index], eligible[query_index], self.num_things_classes,
                self.num_classes, self.overlap_thr, self.mask_thr)
        if self.merge == 'paint':
            result = merge_panoptic_paint(*args, stuff_overlap_thr=self.stuff_overlap_thr)
        else:
            result = _MERGERS[self.merge](*args, self.overlap_rule, self.segment_mask == 'argmax_and_own')
        panoptic = result.panoptic
        out_size = tuple(meta['ori_shape'][:2]) if rescale else tuple(meta['img_shape'][:2])
        if panoptic.shape != out_size:
            panoptic = F.interpolate(panoptic[None, None].float(), out_size, mode='nearest')[0, 0].long()
        kept = result.codes != self.num_classes
        return panoptic, query_index[kept], result.codes[kept]

    def instance_single(self, cls_logits: Tensor, mask_logits: Tensor, meta: dict, rescale: bool) -> InstanceData:
        """Instance results of one image: the top ``max_per_image`` (query, thing class) pairs."""
        probs = self.class_probs(cls_logits)
        num_queries, num_classes = probs.shape
        scores, index = probs.flatten().topk(min(self.max_per_image, probs.numel()), sorted=False)
        queries, labels = index // num_classes, index % num_classes
        things = labels < self.num_things_classes
        scores, queries, labels = scores[things], queries[things], labels[things]
        masks = mask_logits[queries].float()
        if self.mask_resize != 'direct':
            img_h, img_w = meta['img_shape'][:2]
            pad_size = tuple(meta['batch_input_shape'])
            masks = F.interpolate(masks[None], pad_size, mode='bilinear', align_corners=False)[0, :, :img_h, :img_w]
            out_size = tuple(meta['ori_shape'][:2]) if rescale else (img_h, img_w)
            masks = F.interpolate(masks[None], out_size, mode='bilinear', align_corners=False)[0]
        binary = masks > 0
        mask_scores = (masks.sigmoid() * binary).flatten(1).sum(1) / (binary.flatten(1).sum(1) + 1e-6)
        return InstanceData(bboxes=mask2bbox(binary), labels=labels, scores=scores * mask_scores, masks=binary,
                            queries=queries)

    def predict(self, mask_cls_results: Tensor, mask_pred_results: Tensor, batch_data_samples: SampleList,
                rescale: bool = True) -> List[dict]:
        """
        Args:
            mask_cls_results (Tensor): class logits (B, N, C), or (B, N, C + 1) with the softmax scorer.
            mask_pred_results (Tensor): mask logits (B, N, h, w), at any stride or at the padded input size.
            batch_data_samples (list[DetDataSample]): with ``img_shape``, ``ori_shape``, ``batch_input_shape``.
            rescale (bool): return results at the original image size. Defaults to True.

        Returns:
            list[dict]: per image ``pan_results``, ``segment_queries``, ``segment_values`` (``panoptic_on``)
            and ``ins_results`` (``instance_on``).
        """
        results = []
        for cls_logits, mask_logits, sample in zip(mask_cls_results, mask_pred_results, batch_data_samples):
            result = {}
            if self.panoptic_on:
                panoptic, queries, values = self.panoptic_single(cls_logits, mask_logits, sample.metainfo, rescale)
                result.update(pan_results=PixelData(sem_seg=panoptic[None]), segment_queries=queries,
                              segment_values=values)
            if self.instance_on:
                result['ins_results'] = self.instance_single(cls_logits, mask_logits, sample.metainfo, rescale)
            results.append(result)
        return results
