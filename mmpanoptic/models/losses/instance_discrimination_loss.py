"""Instance discrimination loss of RT-K-Net (a pixel contrastive loss on the feature map)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmpanoptic.registry import MODELS


@MODELS.register_module()
class InstanceDiscriminationLoss(nn.Module):
    """Contrast sampled pixels: features of the same segment attract, of different segments repel.

    Per image: ``num_samples`` non-void pixels are drawn without replacement by Gumbel-top-k with logits
    ``sample_temperature * log(HW / area of the pixel's segment)`` (small segments are favoured). With
    L2-normalised features ``f`` of the samples, the logits are ``f_i . f_j / temperature`` and the soft
    target of row ``i`` is uniform over the samples of its segment. The loss is the soft-target
    cross-entropy averaged over samples and images, computed in fp32.

    Args:
        num_samples (int): pixels sampled per image. Defaults to 4096.
        sample_temperature (float): scale of the sampling logits. Defaults to 0.3.
        temperature (float): temperature of the similarity logits. Defaults to 0.3.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self, num_samples: int = 4096, sample_temperature: float = 0.3, temperature: float = 0.3,
                 loss_weight: float = 1.0):
        super().__init__()
        self.num_samples = num_samples
        self.sample_temperature = sample_temperature
        self.temperature = temperature
        self.loss_weight = loss_weight

    def forward(self, feats: Tensor, segment_masks: Tensor) -> Tensor:
        """
        Args:
            feats (Tensor): feature map, (B, C, H, W).
            segment_masks (Tensor): one binary (or soft, rounded here) mask per GT segment, padded with
                empty masks to a common count, (B, S, H, W). Pixels in no mask are void.

        Returns:
            Tensor: scalar loss; 0 (with gradient) if an image has no non-void pixel.
        """
        with torch.autocast(device_type=feats.device.type, enabled=False):
            feats = F.normalize(feats.float(), dim=1).flatten(2)
            masks = segment_masks.float().round().flatten(2)
            batch_size, _, num_pixels = masks.shape
            pixel_area = torch.einsum('bs,bsp->bp', masks.sum(-1), masks)
            valid = masks.sum(1) > 0
            if not bool(valid.any(-1).all()):
                return feats.sum() * 0
            logits = self.sample_temperature * torch.log(num_pixels / pixel_area.clamp(min=1))
            logits = logits.masked_fill(~valid, float('-inf'))
            gumbel = -torch.log(-torch.log(torch.rand_like(logits).clamp(min=1e-20)))
            num_samples = min(self.num_samples, int(valid.sum(-1).min()))
            index = (logits + gumbel).topk(num_samples, dim=-1).indices
            sampled_masks = masks.gather(2, index[:, None].expand(-1, masks.shape[1], -1))
            sampled_feats = feats.gather(2, index[:, None].expand(-1, feats.shape[1], -1))
            targets = torch.einsum('bsk,bsj->bkj', sampled_masks, sampled_masks)
            targets = targets / targets.sum(-1, keepdim=True).clamp(min=1)
            sims = torch.einsum('bck,bcj->bkj', sampled_feats, sampled_feats) / self.temperature
            loss = -(targets * sims.log_softmax(-1)).sum(-1).mean()
        return self.loss_weight * loss
