"""Group feature assembling of K-Net, with the optional mask normalisation of RT-K-Net."""
import torch
from torch import Tensor


def assemble_group_features(mask_logits: Tensor, feats: Tensor, normalize: bool, mask_thr: float = 0.5) -> Tensor:
    """Gather one feature vector per mask from a feature map.

    The masks are binarised (``sigmoid(mask_logits) > mask_thr``). Without normalisation the features under
    a mask are summed (K-Net); with normalisation the binary mask is divided by its area first, so the result
    is the mean feature under the mask (RT-K-Net). An empty mask has its area treated as 1 and gives a zero
    vector. The sum over a large mask easily exceeds the fp16 range (65504); the mean stays within the range
    of the features, which is what makes fp16/bf16 autocast possible.

    The computation runs in the dtype of ``feats``; callers that need the unnormalised sum in fp32 cast the
    inputs themselves (see :meth:`KernelUpdateHead.group_features`).

    Args:
        mask_logits (Tensor): mask logits, shape (B, N, H, W).
        feats (Tensor): feature map, shape (B, C, H, W).
        normalize (bool): divide each binary mask by its area.
        mask_thr (float): threshold on the mask probabilities. Defaults to 0.5.

    Returns:
        Tensor: group features, shape (B, N, C), dtype of ``feats``.
    """
    if mask_logits.shape[-2:] != feats.shape[-2:] or mask_logits.shape[0] != feats.shape[0]:
        raise ValueError(f'masks of shape {tuple(mask_logits.shape)} and features of shape '
                         f'{tuple(feats.shape)} must share batch size and spatial size')
    masks = (mask_logits.sigmoid() > mask_thr).to(feats.dtype)
    if normalize:
        area = masks.sum(dim=(-2, -1), keepdim=True).clamp_(min=1)
        masks = masks / area
    return torch.einsum('bnhw,bchw->bnc', masks, feats)
