"""Mask2Former's set criterion as one module: matching and losses of a set of (class, mask) predictions."""
import copy
from typing import Dict, List, Optional

from mmdet.models.dense_heads import Mask2FormerHead, MaskFormerHead
from mmdet.structures import SampleList
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor

from mmpanoptic.registry import MODELS, TASK_UTILS


@MODELS.register_module()
class MaskSetCriterion(BaseModule):
    """Hungarian matching on uniformly sampled points, softmax cross-entropy with a no-object weight, and
    BCE and dice losses on importance-sampled points, for one set of predictions at a time.

    The computations are mmdet's (``MaskFormerHead.preprocess_gt`` / ``get_targets``,
    ``Mask2FormerHead._get_targets_single`` / ``_loss_by_feat_single``), reused as methods of this module, so
    that a head which is not a Mask2Former decoder (YOSO, Panoptic SegFormer) can own the criterion instead
    of inheriting Mask2Former's constructor.

    A set without class logits (YOSO's stage 0) is matched with all-zero logits, whose uniform class cost
    is the same for every (query, segment) pair and so leaves the assignment to the mask costs; it gets no
    class loss.

    Args:
        num_things_classes (int): thing classes (filled in by the head).
        num_stuff_classes (int): stuff classes (filled in by the head).
        assigner (dict): the matching, e.g. mmdet's ``HungarianAssigner`` with class, BCE and dice costs.
        sampler (dict): e.g. ``MaskPseudoSampler``.
        num_points (int): points sampled per mask. Defaults to 12544.
        oversample_ratio (float): Defaults to 3.0.
        importance_sample_ratio (float): Defaults to 0.75.
        loss_cls, loss_mask, loss_dice (dict): the losses (softmax CE; sigmoid BCE; dice).
        no_object_weight (float): class weight of the no-object class when ``loss_cls`` gives no
            ``class_weight``. Defaults to 0.1.
    """

    preprocess_gt = MaskFormerHead.preprocess_gt
    _get_targets_single = Mask2FormerHead._get_targets_single
    _loss_by_feat_single = Mask2FormerHead._loss_by_feat_single

    def __init__(self,
                 num_things_classes: int,
                 num_stuff_classes: int,
                 assigner: dict,
                 sampler: dict = dict(type='MaskPseudoSampler'),
                 num_points: int = 12544,
                 oversample_ratio: float = 3.0,
                 importance_sample_ratio: float = 0.75,
                 loss_cls: dict = dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=2.0,
                                       reduction='mean'),
                 loss_mask: dict = dict(type='CrossEntropyLoss', use_sigmoid=True, reduction='mean',
                                        loss_weight=5.0),
                 loss_dice: dict = dict(type='DiceLoss', use_sigmoid=True, activate=True, reduction='mean',
                                        naive_dice=True, eps=1.0, loss_weight=5.0),
                 no_object_weight: float = 0.1,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.num_things_classes = num_things_classes
        self.num_stuff_classes = num_stuff_classes
        self.num_classes = num_things_classes + num_stuff_classes
        self.assigner = TASK_UTILS.build(assigner)
        self.sampler = TASK_UTILS.build(sampler, default_args=dict(context=self))
        self.num_points = num_points
        self.oversample_ratio = oversample_ratio
        self.importance_sample_ratio = importance_sample_ratio
        loss_cls = copy.deepcopy(loss_cls)
        loss_cls.setdefault('class_weight', [1.0] * self.num_classes + [no_object_weight])
        if len(loss_cls['class_weight']) != self.num_classes + 1:
            raise ValueError(f'loss_cls.class_weight needs num_classes + 1 = {self.num_classes + 1} entries '
                             f'(the last is the no-object class), got {len(loss_cls["class_weight"])}')
        self.class_weight = loss_cls['class_weight']
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_mask = MODELS.build(loss_mask)
        self.loss_dice = MODELS.build(loss_dice)
        self.num_queries = None  # set per call from the predictions (mmdet's target code reads it)

    def get_targets(self, cls_scores_list: List[Tensor], mask_preds_list: List[Tensor],
                    batch_gt_instances: List[InstanceData], batch_img_metas: List[dict], **kwargs) -> tuple:
        """mmdet's ``MaskFormerHead.get_targets`` for predictions of any number of queries."""
        self.num_queries = mask_preds_list[0].shape[0]
        return MaskFormerHead.get_targets(self, cls_scores_list, mask_preds_list, batch_gt_instances,
                                          batch_img_metas, **kwargs)

    def ground_truth(self, batch_data_samples: SampleList) -> List[InstanceData]:
        """Per image ``labels`` (G,) and ``masks`` (G, H, W) of all non-crowd segments, things and stuff."""
        instances = [sample.gt_instances for sample in batch_data_samples]
        semantic = [sample.gt_sem_seg if 'gt_sem_seg' in sample else None for sample in batch_data_samples]
        return self.preprocess_gt(instances, semantic)

    def loss_set(self, cls_scores: Optional[Tensor], mask_preds: Tensor, batch_gt_instances: List[InstanceData],
                 batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """Losses of one set.

        Args:
            cls_scores (Tensor | None): class logits (B, N, num_classes + 1), or None for a set without them.
            mask_preds (Tensor): mask logits (B, N, H, W).
            batch_gt_instances (list[InstanceData]): see :meth:`ground_truth`.
            batch_img_metas (list[dict]): image metas.

        Returns:
            dict: ``loss_cls`` (when the set has class logits), ``loss_mask``, ``loss_dice``.
        """
        has_cls = cls_scores is not None
        if not has_cls:
            cls_scores = mask_preds.new_zeros(*mask_preds.shape[:2], self.num_classes + 1)
        loss_cls, loss_mask, loss_dice = self._loss_by_feat_single(cls_scores, mask_preds, batch_gt_instances,
                                                                   batch_img_metas)
        losses = dict(loss_cls=loss_cls) if has_cls else dict()
        losses.update(loss_mask=loss_mask, loss_dice=loss_dice)
        return losses
