"""The data passed between the parts of :class:`KernelPanopticHead`."""
from typing import List, NamedTuple, Optional, Tuple

from mmengine.structures import InstanceData
from torch import Tensor


class KernelProposals(NamedTuple):
    """Output of a proposal stage.

    Attributes:
        feats (Tensor): the features X every stage reads, (B, C, H, W).
        kernels (Tensor): initial kernels, (B, N, C).
        masks (Tensor): initial mask logits, (B, N, H, W).
        seg_logits (Tensor, optional): semantic logits of the proposal stage (K-Net), (B, num_classes, H, W).
    """
    feats: Tensor
    kernels: Tensor
    masks: Tensor
    seg_logits: Optional[Tensor] = None


class KernelHeadOutput(NamedTuple):
    """What :meth:`KernelPanopticHead.forward` returns.

    Attributes:
        proposals (KernelProposals): the proposal stage's output.
        stages (list[tuple]): per update stage ``(kernels (B, N, C), cls_logits (B, N, C_cls), mask_logits
            (B, N, H, W))``, the kernels being the stage's output kernels (Video K-Net's memory and
            association inputs).
    """
    proposals: KernelProposals
    stages: List[Tuple[Tensor, Tensor, Tensor]]


class PanopticTargets(NamedTuple):
    """Ground truth of a batch at the (upsampled) mask resolution, for the head's losses.

    Attributes:
        things (list[InstanceData]): per image thing ``labels`` (K,) and soft ``masks`` (K, H, W).
        stuff (list[Tensor]): per image (num_stuff, H, W) soft masks, one per stuff class (zero if absent).
        segments (list[InstanceData]): per image things and present stuff classes together.
        semantic (Tensor): (B, H, W) labels, ``ignore_index`` for void.
    """
    things: List[InstanceData]
    stuff: List[Tensor]
    segments: List[InstanceData]
    semantic: Tensor
