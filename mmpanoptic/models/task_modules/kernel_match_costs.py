"""Mask matching costs of K-Net and RT-K-Net (mmdet's ``DiceCost`` places its eps differently)."""
from typing import Optional, Tuple

from mmdet.models.task_modules.assigners.match_cost import BaseMatchCost
from mmengine.structures import InstanceData
from torch import Tensor

from mmpanoptic.registry import TASK_UTILS


def _flat_probs(pred_instances: InstanceData, gt_instances: InstanceData,
                prob_clamp: Optional[Tuple[float, float]]) -> Tuple[Tensor, Tensor]:
    probs = pred_instances.masks.flatten(1).float().sigmoid()
    if prob_clamp is not None:
        probs = probs.clamp(*prob_clamp)
    return probs, gt_instances.masks.flatten(1).float()


@TASK_UTILS.register_module()
class KernelDiceCost(BaseMatchCost):
    """``cost = -2 * sum(p * t) / (sum(p^2) + sum(t^2) + 2 * eps)`` with ``p = sigmoid(mask logits)``.

    Args:
        eps (float): added to each of the two squared sums. Defaults to 1e-3.
        prob_clamp (tuple[float, float], optional): clamp ``p`` first (RT-K-Net: (0.001, 1)).
        weight (float): cost weight. Defaults to 1.
    """

    def __init__(self, eps: float = 1e-3, prob_clamp: Optional[Tuple[float, float]] = None, weight: float = 1.):
        super().__init__(weight=weight)
        self.eps = eps
        self.prob_clamp = prob_clamp

    def __call__(self, pred_instances: InstanceData, gt_instances: InstanceData, img_meta=None, **kwargs) -> Tensor:
        """Cost matrix (num_preds, num_gts) from ``masks`` (N, H, W) logits and GT ``masks`` (K, H, W)."""
        probs, targets = _flat_probs(pred_instances, gt_instances, self.prob_clamp)
        numerator = 2 * probs @ targets.t()
        denominator = probs.pow(2).sum(-1)[:, None] + targets.pow(2).sum(-1)[None, :] + 2 * self.eps
        return -numerator / denominator * self.weight


@TASK_UTILS.register_module()
class KernelMaskCost(BaseMatchCost):
    """``cost = -(sum(p * t) + sum((1 - p) * (1 - t))) / HW``, a log-free pixel accuracy cost.

    Args:
        prob_clamp (tuple[float, float], optional): clamp ``p`` first (RT-K-Net: (0.01, 1)).
        weight (float): cost weight. Defaults to 1.
    """

    def __init__(self, prob_clamp: Optional[Tuple[float, float]] = None, weight: float = 1.):
        super().__init__(weight=weight)
        self.prob_clamp = prob_clamp

    def __call__(self, pred_instances: InstanceData, gt_instances: InstanceData, img_meta=None, **kwargs) -> Tensor:
        """Cost matrix (num_preds, num_gts) from ``masks`` (N, H, W) logits and GT ``masks`` (K, H, W)."""
        probs, targets = _flat_probs(pred_instances, gt_instances, self.prob_clamp)
        # sum(p t) + sum((1 - p)(1 - t)) = HW - sum(p) - sum(t) + 2 sum(p t)
        num_pixels = probs.shape[1]
        agreement = num_pixels - probs.sum(-1)[:, None] - targets.sum(-1)[None, :] + 2 * probs @ targets.t()
        return -agreement / num_pixels * self.weight
