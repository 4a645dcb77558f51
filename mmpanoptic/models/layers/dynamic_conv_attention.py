"""Query-conditioned token mixers of the YOSO decoder: SDCA and the paper's ablation variants.

Each module maps ``query`` (B, N, C) (the proposal kernels) and ``value`` (B, N, C) (the mask-pooled
features, one row per proposal) to (B, N, C), and ends with a LayerNorm. The dynamic convolutions treat
the N proposals as 1-D signals of length C along the feature axis ("same" zero padding, like
``F.conv1d(padding='same')``), with kernels generated from the queries by one linear layer
``weight_linear``. All images of a batch are processed by one grouped convolution.

Variants (Table 4 of the paper):

* :class:`SeparableDynamicConvAttention` (SDCA, the released model): depthwise kernel of size t per
  proposal, ReLU, then a pointwise (N x N) token-mixing kernel.
* :class:`DynamicConvAttention` (DCA): a full (N, N, t) kernel per image.
* :class:`PointwiseDynamicConvAttention` (PDCA): pointwise token mixing only.
* :class:`DepthwiseDynamicConvAttention` (DDCA): depthwise only, no token mixing.
* :class:`MultiheadCrossAttention` (MHCA): standard multi-head cross-attention.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmpanoptic.registry import MODELS


def dynamic_depthwise_conv1d(value: Tensor, weight: Tensor) -> Tensor:
    """Per-proposal 1-D cross-correlation along the feature axis.

    Args:
        value (Tensor): (B, N, C).
        weight (Tensor): (B, N, t), one kernel per proposal.

    Returns:
        Tensor: (B, N, C), ``out[b, n] = value[b, n] (*) weight[b, n]`` with "same" zero padding.
    """
    b, n, c = value.shape
    out = F.conv1d(value.reshape(1, b * n, c), weight.reshape(b * n, 1, -1), padding='same', groups=b * n)
    return out.view(b, n, c)


def dynamic_dense_conv1d(value: Tensor, weight: Tensor) -> Tensor:
    """Per-image 1-D convolution mixing proposals and neighbouring features.

    Args:
        value (Tensor): (B, N, C), N input signals of length C per image.
        weight (Tensor): (B, N_out, N, t), one full kernel per image.

    Returns:
        Tensor: (B, N_out, C), ``out[b, o, c] = sum_{m, j} weight[b, o, m, j] value[b, m, c + j - p]``.
    """
    b, n, c = value.shape
    n_out = weight.shape[1]
    out = F.conv1d(value.reshape(1, b * n, c), weight.reshape(b * n_out, n, -1), padding='same', groups=b)
    return out.view(b, n_out, c)


class _DynamicKernelAttention(BaseModule):
    """Common part: ``weight_linear`` (C -> kernel width) applied to the queries and a closing LayerNorm.

    Args:
        embed_dims (int): C. Defaults to 256.
        num_proposals (int): N (the token-mixing kernels are N wide). Defaults to 100.
        kernel_size (int): t, the kernel size along the feature axis. Defaults to 3.
    """

    def __init__(self, embed_dims: int = 256, num_proposals: int = 100, kernel_size: int = 3, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        self.num_proposals = num_proposals
        self.kernel_size = kernel_size
        self.weight_linear = nn.Linear(embed_dims, self.kernel_width())
        self.norm = nn.LayerNorm(embed_dims)

    def kernel_width(self) -> int:
        """Outputs of ``weight_linear`` per query."""
        raise NotImplementedError

    def check_inputs(self, query: Tensor, value: Tensor) -> None:
        if query.shape != value.shape or query.shape[1:] != (self.num_proposals, self.embed_dims):
            raise ValueError(f'{type(self).__name__} expects query and value of shape (B, {self.num_proposals}, '
                             f'{self.embed_dims}), got {tuple(query.shape)} and {tuple(value.shape)}')


@MODELS.register_module()
class SeparableDynamicConvAttention(_DynamicKernelAttention):
    """SDCA: separable dynamic convolution attention.

    ``w = weight_linear(query)`` (B, N, t + N); ``w[..., :t]`` is each proposal's depthwise kernel and
    ``w[..., t:]`` row n of the pointwise matrix. ``out = LN(W_pw @ ReLU(dw(value)))``.
    """

    def kernel_width(self) -> int:
        return self.kernel_size + self.num_proposals

    def forward(self, query: Tensor, value: Tensor) -> Tensor:
        """query, value: (B, N, C) -> (B, N, C)."""
        self.check_inputs(query, value)
        weight = self.weight_linear(query)
        depthwise = F.relu(dynamic_depthwise_conv1d(value, weight[..., :self.kernel_size]))
        return self.norm(torch.bmm(weight[..., self.kernel_size:], depthwise))


@MODELS.register_module()
class DynamicConvAttention(_DynamicKernelAttention):
    """DCA: one dense dynamic 1-D kernel (N, N, t) per image; ``out = LN(conv1d(value, W))``."""

    def kernel_width(self) -> int:
        return self.num_proposals * self.kernel_size

    def forward(self, query: Tensor, value: Tensor) -> Tensor:
        """query, value: (B, N, C) -> (B, N, C)."""
        self.check_inputs(query, value)
        b, n, _ = query.shape
        weight = self.weight_linear(query).view(b, n, n, self.kernel_size)
        return self.norm(dynamic_dense_conv1d(value, weight))


@MODELS.register_module()
class PointwiseDynamicConvAttention(_DynamicKernelAttention):
    """PDCA: token mixing only; ``out = LN(W_pw @ value)`` with ``W_pw = weight_linear(query)`` (B, N, N)."""

    def kernel_width(self) -> int:
        return self.num_proposals

    def forward(self, query: Tensor, value: Tensor) -> Tensor:
        """query, value: (B, N, C) -> (B, N, C)."""
        self.check_inputs(query, value)
        return self.norm(torch.bmm(self.weight_linear(query), value))


@MODELS.register_module()
class DepthwiseDynamicConvAttention(_DynamicKernelAttention):
    """DDCA: per-proposal depthwise kernel only, no token mixing; ``out = LN(dw(value))``."""

    def kernel_width(self) -> int:
        return self.kernel_size

    def forward(self, query: Tensor, value: Tensor) -> Tensor:
        """query, value: (B, N, C) -> (B, N, C)."""
        self.check_inputs(query, value)
        return self.norm(dynamic_depthwise_conv1d(value, self.weight_linear(query)))


@MODELS.register_module()
class MultiheadCrossAttention(BaseModule):
    """MHCA: multi-head cross-attention (queries attend to the pooled features), then LayerNorm.

    Args:
        embed_dims (int): C. Defaults to 256.
        num_heads (int): attention heads. Defaults to 8.
        num_proposals (int): N; only used to check input shapes. Defaults to 100.
    """

    def __init__(self, embed_dims: int = 256, num_heads: int = 8, num_proposals: int = 100, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        self.num_proposals = num_proposals
        self.attn = nn.MultiheadAttention(embed_dims, num_heads, dropout=0.0, batch_first=True)
        self.norm = nn.LayerNorm(embed_dims)

    def forward(self, query: Tensor, value: Tensor) -> Tensor:
        """query, value: (B, N, C) -> (B, N, C)."""
        if query.shape != value.shape or query.shape[1:] != (self.num_proposals, self.embed_dims):
            raise ValueError(f'MultiheadCrossAttention expects query and value of shape (B, {self.num_proposals}, '
                             f'{self.embed_dims}), got {tuple(query.shape)} and {tuple(value.shape)}')
        return self.norm(self.attn(query, value, value, need_weights=False)[0])
