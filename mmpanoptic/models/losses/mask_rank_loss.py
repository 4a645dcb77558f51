"""Rank loss of K-Net: cross-entropy over the kernels of each pixel."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmpanoptic.registry import MODELS


@MODELS.register_module()
class MaskRankLoss(nn.Module):
    """Pixel-wise cross-entropy whose classes are the N mask logits of an image.

    The target of a pixel is the index of the positive kernel that covers it in the ground truth:

    * ``target_mode='last'`` (K-Net): a positive kernel covers the pixels where its target is > 0; when
      several do, the highest kernel index wins; uncovered pixels are ignored (``ignore_index``).
    * ``target_mode='argmax'`` (RT-K-Net): ``argmax`` over the positive targets and a constant 0.5
      column; the pixels that pick the constant are ignored.

    The loss is the mean over **all** pixels, ignored ones included (both official implementations).

    Args:
        target_mode (str): ``'last'`` or ``'argmax'``. Defaults to ``'last'``.
        loss_weight (float): Defaults to 0.1.
    """

    def __init__(self, target_mode: str = 'last', loss_weight: float = 0.1):
        super().__init__()
        if target_mode not in ('last', 'argmax'):
            raise ValueError(f"target_mode must be 'last' or 'argmax', got {target_mode!r}")
        self.target_mode = target_mode
        self.loss_weight = loss_weight

    def rank_targets(self, mask_targets: Tensor, pos_mask: Tensor) -> Tensor:
        """Targets (B, H, W) from targets (B, N, H, W) and positives (B, N); N marks ignored pixels."""
        num_kernels = mask_targets.shape[1]
        targets = mask_targets * pos_mask[..., None, None].to(mask_targets.dtype)
        if self.target_mode == 'argmax':
            constant = targets.new_full(targets[:, :1].shape, 0.5)
            return torch.cat([targets, constant], dim=1).argmax(1)
        covered = targets > 0
        index = torch.arange(num_kernels, device=targets.device).view(1, -1, 1, 1)
        last = torch.where(covered, index, -1).amax(1)
        return torch.where(last < 0, num_kernels, last)

    def forward(self, mask_logits: Tensor, mask_targets: Tensor, pos_mask: Tensor) -> Tensor:
        """
        Args:
            mask_logits (Tensor): (B, N, H, W).
            mask_targets (Tensor): soft targets aligned with the kernels, (B, N, H, W).
            pos_mask (Tensor): bool, (B, N), the kernels with a target.

        Returns:
            Tensor: scalar loss.
        """
        targets = self.rank_targets(mask_targets, pos_mask)
        num_kernels = mask_logits.shape[1]
        loss = F.cross_entropy(mask_logits.float(), targets, ignore_index=num_kernels, reduction='none')
        return self.loss_weight * loss.mean()
