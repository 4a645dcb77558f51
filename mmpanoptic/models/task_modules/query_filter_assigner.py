"""Panoptic SegFormer's query filtering and its squared-denominator dice cost."""
from typing import Tuple

import torch
from mmdet.models.task_modules import AssignResult, HungarianAssigner
from mmengine.structures import InstanceData
from scipy.optimize import linear_sum_assignment
from torch import Tensor

from mmpanoptic.registry import TASK_UTILS

_MASKED = 1e7  # cost of a query already taken by an earlier round (the official INF)


@TASK_UTILS.register_module()
class QueryFilterAssigner(HungarianAssigner):
    """Repeated Hungarian matching that picks the thing queries the mask decoder sees.

    Round r matches the ground truth against the queries not matched in rounds < r (their cost rows are set to
    ``1e7``). There are ``min(max_rounds, max(1, num_queries // num_gts))`` rounds; with more ground-truth
    things than queries there is one round, which matches every query (the official ``300 // num_gts``
    gives zero rounds there: its assigner returns no result and the sampler after it raises).

    ``stop_rule``:

    * ``'official'`` (default): the released code's check, made after the matched rows were masked, so it
      always holds and the filtering stops after the first round: the filtered queries are exactly the
      one-to-one matched ones. This is what every released checkpoint was trained with.
    * ``'exhausted'``: what the paper describes: rounds go on until ``max_rounds`` or until a round can only
      match masked rows, so up to ``max_rounds`` queries per ground-truth thing pass.

    Args:
        match_costs (list[dict]): as :class:`mmdet.models.task_modules.HungarianAssigner`.
        max_rounds (int): Defaults to 3.
        stop_rule (str): ``'official'`` or ``'exhausted'``.
    """

    def __init__(self, match_costs, max_rounds: int = 3, stop_rule: str = 'official'):
        super().__init__(match_costs)
        if stop_rule not in ('official', 'exhausted'):
            raise ValueError(f"stop_rule must be 'official' or 'exhausted', got {stop_rule!r}")
        if max_rounds < 1:
            raise ValueError(f'max_rounds must be >= 1, got {max_rounds}')
        self.max_rounds = max_rounds
        self.stop_rule = stop_rule

    def filter(self, pred_instances: InstanceData, gt_instances: InstanceData,
               img_meta: dict) -> Tuple[Tensor, AssignResult]:
        """The filtered queries and the first round's one-to-one assignment.

        Args:
            pred_instances (InstanceData): ``scores`` (class logits, (Q, C)) and ``bboxes`` ((Q, 4), x1y1x2y2
                in pixels), as the match costs read them.
            gt_instances (InstanceData): ``labels`` (G,), ``bboxes`` (G, 4).
            img_meta (dict): with ``img_shape``.

        Returns:
            tuple: indices of the filtered queries (K,), ascending, and the first round's
            :class:`AssignResult`.
        """
        num_gts, num_queries = len(gt_instances), len(pred_instances)
        device = gt_instances.labels.device
        if num_gts == 0 or num_queries == 0:
            return torch.zeros(0, dtype=torch.long, device=device), \
                self.assign(pred_instances, gt_instances, img_meta)
        cost = torch.stack([c(pred_instances=pred_instances, gt_instances=gt_instances, img_meta=img_meta)
                            for c in self.match_costs]).sum(0).detach().cpu()
        gt_inds = torch.zeros(num_queries, dtype=torch.long)
        first = None
        for _ in range(min(self.max_rounds, max(1, num_queries // num_gts))):
            rows, cols = (torch.from_numpy(i) for i in linear_sum_assignment(cost))
            if self.stop_rule == 'exhausted' and first is not None and bool((cost[rows, cols] >= _MASKED).any()):
                break
            cost[rows, :] = _MASKED
            gt_inds[rows] = cols + 1
            if first is None:
                first = torch.zeros(num_queries, dtype=torch.long)
                first[rows] = cols + 1
            if self.stop_rule == 'official':
                break  # the released code checks the masked rows, so it stops here
        labels = torch.full((num_queries, ), -1, dtype=torch.long)
        labels[first > 0] = gt_instances.labels.cpu()[first[first > 0] - 1]
        result = AssignResult(num_gts=num_gts, gt_inds=first.to(device), max_overlaps=None,
                              labels=labels.to(device))
        return torch.nonzero(gt_inds > 0).squeeze(1).to(device), result


@TASK_UTILS.register_module()
class SquaredDiceCost:
    """Dice cost ``1 - 2 sum(p t) / ((sum p^2 + eps) + (sum t^2 + eps))`` on raw mask values (no activation),
    as Panoptic SegFormer's matching (mmdet's ``DiceCost`` puts ``eps`` in the numerator too).

    Reads ``pred_instances.masks`` (Q, H, W) and ``gt_instances.masks`` (G, H, W), same size.

    Args:
        weight (float): Defaults to 1.0. eps (float): Defaults to 1e-3.
    """

    def __init__(self, weight: float = 1.0, eps: float = 1e-3):
        self.weight = weight
        self.eps = eps

    def __call__(self, pred_instances: InstanceData, gt_instances: InstanceData, img_meta=None) -> Tensor:
        pred = pred_instances.masks.flatten(1).float()
        gt = gt_instances.masks.flatten(1).float()
        if pred.shape[1] != gt.shape[1]:
            raise ValueError(f'mask sizes differ: predictions {tuple(pred_instances.masks.shape[-2:])}, '
                             f'ground truth {tuple(gt_instances.masks.shape[-2:])}')
        numerator = 2 * pred @ gt.t()
        denominator = (pred.pow(2).sum(1) + self.eps)[:, None] + (gt.pow(2).sum(1) + self.eps)[None, :]
        return (1 - numerator / denominator) * self.weight
