"""Group feature pooling of K-Net, RT-K-Net and YOSO, with its one dtype policy."""
import torch
from torch import Tensor

_HALF = (torch.float16, torch.bfloat16)


def assemble_group_features(mask_logits: Tensor, feats: Tensor, normalize: bool, mask_thr: float = 0.5) -> Tensor:
    """Gather one feature vector per mask from a feature map.

    The masks are binarised (``sigmoid(mask_logits) > mask_thr``, no gradient through them). Without
    normalisation the features under a mask are summed (K-Net, YOSO); with normalisation the binary mask is
    divided by its area first, so the result is the mean feature under the mask (RT-K-Net). An empty mask
    has its area treated as 1 and gives a zero vector.

    Dtype policy: the sum over a large mask easily exceeds the fp16 range (65504), so the summed form is
    computed in float32 with autocast disabled, from half-precision inputs too, and returned in float32;
    callers keep the layers that read it in float32 until a normalisation brings the values back to a small
    range. The mean stays within the range of the features and runs in the autocast dtype, which is what
    makes fp16/bf16 autocast possible for RT-K-Net.

    Args:
        mask_logits (Tensor): mask logits, shape (B, N, H, W).
        feats (Tensor): feature map, shape (B, C, H, W).
        normalize (bool): divide each binary mask by its area.
        mask_thr (float): threshold on the mask probabilities. Defaults to 0.5.

    Returns:
        Tensor: group features, shape (B, N, C); float32 (or the inputs' wider dtype) when summed, the dtype
        of ``feats`` under autocast when averaged.
    """
    if mask_logits.shape[-2:] != feats.shape[-2:] or mask_logits.shape[0] != feats.shape[0]:
        raise ValueError(f'masks of shape {tuple(mask_logits.shape)} and features of shape '
                         f'{tuple(feats.shape)} must share batch size and spatial size')
    if normalize:
        masks = (mask_logits.sigmoid() > mask_thr).to(feats.dtype)
        masks = masks / masks.sum(dim=(-2, -1), keepdim=True).clamp_(min=1)
        return torch.einsum('bnhw,bchw->bnc', masks, feats)
    with torch.autocast(device_type=feats.device.type, enabled=False):
        feats = feats.float() if feats.dtype in _HALF else feats
        mask_logits = mask_logits.float() if mask_logits.dtype in _HALF else mask_logits
        masks = (mask_logits.sigmoid() > mask_thr).to(feats.dtype)
        return torch.einsum('bnhw,bchw->bnc', masks, feats)
