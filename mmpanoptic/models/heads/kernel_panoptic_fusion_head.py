"""Panoptic post-processing of kernel predictions (K-Net and RT-K-Net)."""
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmdet.structures import SampleList
from mmengine.config import ConfigDict
from mmengine.model import BaseModule
from mmengine.structures import PixelData
from torch import Tensor

from mmpanoptic.models.utils.panoptic_merge import OVERLAP_RULES, merge_panoptic_iterative, merge_panoptic_parallel
from mmpanoptic.registry import MODELS

_MERGERS = dict(iterative=merge_panoptic_iterative, parallel=merge_panoptic_parallel)


@MODELS.register_module()
class KernelPanopticFusionHead(BaseModule):
    """Turn the last stage's class and mask logits into ``pred_panoptic_seg``.

    Scores: with ``num_bound_kernels`` stuff kernels (K-Net), the first kernels score ``max`` over the thing
    classes and bound kernel ``k`` scores its own stuff class; otherwise (RT-K-Net) every kernel scores
    ``max`` over all classes. All scores are sigmoid probabilities.

    ``test_cfg`` keys:

    * ``score_thr`` (0.3) and ``score_filter``: ``'things'`` (K-Net: things below the threshold cannot
      become segments but still take part in the argmax) or ``'all'`` (RT-K-Net: queries below
      ``min(score_thr, max score)`` are dropped before the argmax).
    * ``overlap_thr`` (0.6), ``mask_thr`` (0.5), ``overlap_rule`` (``'ratio'``, official K-Net, or
      ``'scaled_area'``, official RT-K-Net; they differ when the visible/own area ratio is exactly
      ``overlap_thr``): see :mod:`mmpanoptic.models.utils.panoptic_merge`.
    * ``tie_order``: which class wins when two class probabilities are equal (they saturate to exactly 1.0
      in float32): ``'things_first'`` (default; the first column of mmpanoptic's things-first order, as
      official K-Net) or ``'stuff_first'`` (official RT-K-Net, whose class order is stuff first).
    * ``merge``: ``'parallel'`` (default) or ``'iterative'``; same result up to instance numbering.
    * ``mask_resize``: ``'pad_crop'`` (default; sigmoid, resize to the padded input, crop the image, resize
      to the original size) or ``'direct'`` (RT-K-Net: logits resized straight to the un-padded image size,
      then sigmoid; the panoptic map is resized to the original size with nearest neighbour).

    Args:
        num_things_classes (int): thing classes.
        num_stuff_classes (int): stuff classes.
        num_bound_kernels (int): trailing kernels bound to the stuff classes. Defaults to 0.
        test_cfg (dict, optional): see above.
    """

    TEST_CFG_KEYS = ('score_thr', 'score_filter', 'overlap_thr', 'mask_thr', 'merge', 'mask_resize', 'overlap_rule',
                     'tie_order')

    def __init__(self,
                 num_things_classes: int = 80,
                 num_stuff_classes: int = 53,
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
        self.score_thr = cfg.get('score_thr', 0.3)
        self.score_filter = cfg.get('score_filter', 'things' if num_bound_kernels else 'all')
        self.overlap_thr = cfg.get('overlap_thr', 0.6)
        self.mask_thr = cfg.get('mask_thr', 0.5)
        self.merge = cfg.get('merge', 'parallel')
        self.mask_resize = cfg.get('mask_resize', 'pad_crop')
        self.overlap_rule = cfg.get('overlap_rule', 'ratio')
        self.tie_order = cfg.get('tie_order', 'things_first')
        for name, value, allowed in (('score_filter', self.score_filter, ('things', 'all')),
                                     ('merge', self.merge, tuple(_MERGERS)),
                                     ('mask_resize', self.mask_resize, ('pad_crop', 'direct')),
                                     ('overlap_rule', self.overlap_rule, OVERLAP_RULES),
                                     ('tie_order', self.tie_order, ('things_first', 'stuff_first'))):
            if value not in allowed:
                raise ValueError(f'test_cfg.{name} must be one of {allowed}, got {value!r}')

    def scores_and_labels(self, cls_logits: Tensor) -> Tuple[Tensor, Tensor]:
        """Scores (N,) and labels (N,) of the kernels of one image from class logits (N, C)."""
        probs = cls_logits.float().sigmoid()
        if not self.num_bound_kernels:
            if self.tie_order == 'things_first':
                return probs.max(-1)
            # (N, C) columns reordered stuff first: ``max`` picks the first of equal columns in that order.
            things = self.num_things_classes
            scores, index = torch.cat([probs[:, things:], probs[:, :things]], dim=1).max(-1)
            num_stuff = probs.shape[1] - things
            return scores, torch.where(index < num_stuff, index + things, index - num_stuff)
        num_matched = probs.shape[0] - self.num_bound_kernels
        thing_scores, thing_labels = probs[:num_matched, :self.num_things_classes].max(-1)
        stuff_labels = torch.arange(self.num_things_classes, self.num_things_classes + self.num_bound_kernels,
                                    device=probs.device)
        stuff_scores = probs[num_matched:, self.num_things_classes:].diagonal()
        return torch.cat([thing_scores, stuff_scores]), torch.cat([thing_labels, stuff_labels])

    def panoptic_single(self, cls_logits: Tensor, mask_logits: Tensor, meta: dict, rescale: bool) -> Tensor:
        """Panoptic map (H, W) of one image from class logits (N, C) and mask logits (N, h, w)."""
        scores, labels = self.scores_and_labels(cls_logits)
        is_thing = labels < self.num_things_classes
        if self.score_filter == 'all':
            candidates = scores >= min(self.score_thr, float(scores.max()))
            eligible = torch.ones_like(candidates)
        else:
            candidates = torch.ones_like(is_thing)
            eligible = ~is_thing | (scores >= self.score_thr)
        img_h, img_w = meta['img_shape'][:2]
        out_size = tuple(meta['ori_shape'][:2]) if rescale else (img_h, img_w)
        masks = mask_logits[candidates].float()[None]
        if self.mask_resize == 'direct':
            masks = F.interpolate(masks, (img_h, img_w), mode='bilinear', align_corners=False).sigmoid()
        else:
            masks = F.interpolate(masks.sigmoid(), tuple(meta['batch_input_shape']), mode='bilinear',
                                  align_corners=False)[..., :img_h, :img_w]
            masks = F.interpolate(masks, out_size, mode='bilinear', align_corners=False)
        panoptic = _MERGERS[self.merge](masks[0], scores[candidates], labels[candidates], eligible[candidates],
                                        self.num_things_classes, self.num_classes, self.overlap_thr, self.mask_thr,
                                        self.overlap_rule)
        if panoptic.shape != out_size:
            panoptic = F.interpolate(panoptic[None, None].float(), out_size, mode='nearest')[0, 0].long()
        return panoptic

    def predict(self, mask_cls_results: Tensor, mask_pred_results: Tensor, batch_data_samples: SampleList,
                rescale: bool = True) -> List[dict]:
        """
        Args:
            mask_cls_results (Tensor): class logits (B, N, C).
            mask_pred_results (Tensor): mask logits (B, N, h, w).
            batch_data_samples (list[DetDataSample]): with ``img_shape``, ``ori_shape``, ``batch_input_shape``.
            rescale (bool): return maps at the original image size. Defaults to True.

        Returns:
            list[dict]: per image ``pan_results``, a ``PixelData`` with ``sem_seg`` (1, H, W) long.
        """
        results = []
        for cls_logits, mask_logits, sample in zip(mask_cls_results, mask_pred_results, batch_data_samples):
            panoptic = self.panoptic_single(cls_logits, mask_logits, sample.metainfo, rescale)
            results.append(dict(pan_results=PixelData(sem_seg=panoptic[None])))
        return results
