"""Hard-pixel ("bootstrapped") cross-entropy of DeepLab, used by RT-K-Net's auxiliary semantic head."""
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmpanoptic.registry import MODELS


@MODELS.register_module()
class TopKPixelCrossEntropyLoss(nn.Module):
    """Cross-entropy of the hardest ``top_k_percent`` of all pixels, summed and divided by the valid pixels.

    Args:
        top_k_percent (float): fraction of the pixels (all pixels of the batch) that are kept.
            Defaults to 0.2.
        ignore_index (int): label of ignored pixels. Defaults to 255.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self, top_k_percent: float = 0.2, ignore_index: int = 255, loss_weight: float = 1.0):
        super().__init__()
        if not 0 < top_k_percent <= 1:
            raise ValueError(f'top_k_percent must be in (0, 1], got {top_k_percent}')
        self.top_k_percent = top_k_percent
        self.ignore_index = ignore_index
        self.loss_weight = loss_weight

    def forward(self, logits: Tensor, labels: Tensor) -> Tensor:
        """
        Args:
            logits (Tensor): (B, C, H, W).
            labels (Tensor): long, (B, H, W), values in [0, C) or ``ignore_index``.

        Returns:
            Tensor: scalar loss.
        """
        loss = F.cross_entropy(logits.float(), labels, ignore_index=self.ignore_index, reduction='none').flatten()
        num_valid = ((labels >= 0) & (labels < logits.shape[1])).sum().clamp(min=1)
        hardest = loss.topk(max(int(self.top_k_percent * loss.numel()), 1)).values
        return self.loss_weight * hardest.sum() / num_valid
