"""Hungarian assigner for kernel predictions that may come without class scores."""
import torch
from mmdet.models.task_modules.assigners import AssignResult, HungarianAssigner
from mmdet.models.task_modules.assigners.match_cost import ClassificationCost, FocalLossCost
from mmengine.structures import InstanceData
from scipy.optimize import linear_sum_assignment

from mmpanoptic.registry import TASK_UTILS


@TASK_UTILS.register_module()
class KernelHungarianAssigner(HungarianAssigner):
    """mmdet's :class:`HungarianAssigner` that skips class costs for predictions without ``scores``.

    K-Net and RT-K-Net match their initial masks (which have no class prediction) with the mask costs
    only, and every later set with class and mask costs. Non-finite costs are replaced by
    ``nan_cost`` before the matching (RT-K-Net uses 100).

    Args:
        match_costs (list[dict]): the costs, as for :class:`HungarianAssigner`.
        nan_cost (float): value that replaces NaN or infinite costs. Defaults to 100.
    """

    def __init__(self, match_costs, nan_cost: float = 100.):
        match_costs = match_costs if isinstance(match_costs, list) else [match_costs]
        if not match_costs:
            raise ValueError('match_costs must not be empty')
        # mmpanoptic's registry: it resolves mmpanoptic's costs and, through its parent, mmdet's.
        self.match_costs = [TASK_UTILS.build(cost) for cost in match_costs]
        self.nan_cost = nan_cost

    def assign(self, pred_instances: InstanceData, gt_instances: InstanceData, img_meta=None,
               **kwargs) -> AssignResult:
        """Match predictions (``masks`` logits (N, H, W), optional ``scores`` logits (N, C)) to GTs
        (``labels`` (K,), ``masks`` (K, H, W)). Returns gt_inds 1-based for matches, 0 for background."""
        num_gts, num_preds = len(gt_instances), len(pred_instances)
        device = gt_instances.labels.device
        gt_inds = torch.zeros(num_preds, dtype=torch.long, device=device)
        labels = torch.full((num_preds, ), -1, dtype=torch.long, device=device)
        if num_gts == 0 or num_preds == 0:
            return AssignResult(num_gts=num_gts, gt_inds=gt_inds, max_overlaps=None, labels=labels)
        with_scores = 'scores' in pred_instances
        costs = [
            cost(pred_instances=pred_instances, gt_instances=gt_instances, img_meta=img_meta)
            for cost in self.match_costs
            if with_scores or not isinstance(cost, (FocalLossCost, ClassificationCost))
        ]
        cost = torch.stack(costs).sum(0).detach().float().cpu()
        cost = torch.nan_to_num(cost, nan=self.nan_cost, posinf=self.nan_cost, neginf=-self.nan_cost)
        rows, cols = linear_sum_assignment(cost.numpy())
        rows = torch.from_numpy(rows).to(device)
        cols = torch.from_numpy(cols).to(device)
        gt_inds[rows] = cols + 1
        labels[rows] = gt_instances.labels[cols]
        return AssignResult(num_gts=num_gts, gt_inds=gt_inds, max_overlaps=None, labels=labels)
