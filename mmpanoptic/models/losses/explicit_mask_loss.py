"""The explicit mask loss of RT-PanoNet (Hou et al., CVPR 2020, Eq. 3)."""
import torch
import torch.nn as nn
from torch import Tensor

from mmpanoptic.registry import MODELS


@MODELS.register_module()
class ExplicitMaskLoss(nn.Module):
    """``L = 1/|Q| sum_j beta_j / N_j * (E_FP,j + E_FN,j)`` over the query boxes j, with

    * ``E_FP,j = sum_xy corr(B(x, y), b_j) * [xy not in M_j]``: dense boxes outside the instance that still
      match its query box;
    * ``E_FN,j = sum_xy (1 - corr(B(x, y), b_j)) * [xy in M_j]``: pixels of the instance whose dense box does
      not match;
    * ``beta_j`` the IoU of the query box with its ground-truth box, ``N_j`` the ground-truth mask area.

    Args:
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, corr: Tensor, gt_masks: Tensor, beta: Tensor, valid: Tensor) -> Tensor:
        """
        Args:
            corr (Tensor): (Q, P) correlation (IoU) of every dense box with each query box.
            gt_masks (Tensor): (Q, P) bool, the pixels of each query's instance.
            beta (Tensor): (Q,) weight of each query.
            valid (Tensor): (P,) bool, the pixels that count (inside the image).

        Returns:
            Tensor: scalar; 0 (with a graph) when there is no query.
        """
        if corr.shape[0] == 0:
            return corr.sum() * 0.0
        inside = gt_masks & valid
        outside = ~gt_masks & valid
        false_pos = (corr * outside).sum(1)
        false_neg = ((1 - corr) * inside).sum(1)
        area = inside.sum(1).clamp(min=1)
        return self.loss_weight * (beta * (false_pos + false_neg) / area).mean()
