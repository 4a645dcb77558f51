"""Tests of SDCA and the ablation variants: shapes, gradients, and agreement with per-image loops that
restate the official computation (``F.conv1d`` per image with ``padding='same'``)."""
import pytest
import torch
import torch.nn.functional as F

from mmpanoptic.models.layers import (DepthwiseDynamicConvAttention, DynamicConvAttention, MultiheadCrossAttention,
                                      PointwiseDynamicConvAttention, SeparableDynamicConvAttention)

B, N, C, T = 3, 10, 32, 3
VARIANTS = [SeparableDynamicConvAttention, DynamicConvAttention, PointwiseDynamicConvAttention,
            DepthwiseDynamicConvAttention, MultiheadCrossAttention]


def _build(cls, kernel_size=T):
    if cls is MultiheadCrossAttention:
        return cls(embed_dims=C, num_heads=4, num_proposals=N)
    return cls(embed_dims=C, num_proposals=N, kernel_size=kernel_size)


def _inputs(seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(B, N, C, generator=g), torch.randn(B, N, C, generator=g)


@pytest.mark.parametrize('cls', VARIANTS)
def test_shape_and_gradient(cls):
    torch.manual_seed(0)
    module = _build(cls)
    query, value = (t.requires_grad_() for t in _inputs())
    out = module(query, value)
    assert out.shape == (B, N, C)
    (out * torch.randn_like(out)).sum().backward()
    assert query.grad.abs().sum() > 0 and value.grad.abs().sum() > 0
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in module.parameters())


@pytest.mark.parametrize('cls', VARIANTS)
def test_wrong_shapes(cls):
    module = _build(cls)
    query, value = _inputs()
    with pytest.raises(ValueError, match='expects query and value'):
        module(query[:, :-1], value[:, :-1])


def _official_loop(module, query, value):
    """Per-image restatement of the official modules (DySepConvAtten, DyConvAtten, DyPointwiseConvAtten,
    DyDepthwiseConvAtten)."""
    weight = module.weight_linear(query)
    outs = []
    for i in range(query.shape[0]):
        v = value[i][None]
        if isinstance(module, SeparableDynamicConvAttention):
            dw = weight[i, :, :module.kernel_size].reshape(N, 1, module.kernel_size)
            pw = weight[i, :, module.kernel_size:].reshape(N, N, 1)
            out = F.conv1d(F.relu(F.conv1d(v, dw, groups=N, padding='same')), pw, padding='same')
        elif isinstance(module, DynamicConvAttention):
            out = F.conv1d(v, weight[i].reshape(N, N, module.kernel_size), padding='same')
        elif isinstance(module, PointwiseDynamicConvAttention):
            out = F.conv1d(v, weight[i].reshape(N, N, 1), padding='same')
        else:
            out = F.conv1d(v, weight[i].reshape(N, 1, module.kernel_size), groups=N, padding='same')
        outs.append(out)
    return module.norm(torch.cat(outs))


@pytest.mark.parametrize('kernel_size', [1, 3, 4, 7])
@pytest.mark.parametrize('cls', VARIANTS[:4])
def test_batched_equals_per_image_loop(cls, kernel_size):
    torch.manual_seed(0)
    module = _build(cls, kernel_size)
    query, value = _inputs()
    with torch.no_grad():
        torch.testing.assert_close(module(query, value), _official_loop(module, query, value), atol=1e-5, rtol=1e-5)


def test_sdca_is_depthwise_then_pointwise():
    """out[n, c] = sum_m Wp[n, m] relu(sum_j Wd[m, j] v[m, c + j - 1]) before the LayerNorm."""
    module = SeparableDynamicConvAttention(embed_dims=C, num_proposals=N, kernel_size=3)
    module.norm = torch.nn.Identity()
    query, value = _inputs()
    with torch.no_grad():
        w = module.weight_linear(query)
        padded = F.pad(value, (1, 1))
        dw = F.relu(sum(w[..., j:j + 1] * padded[..., j:j + C] for j in range(3)))
        expected = torch.einsum('bnm,bmc->bnc', w[..., 3:], dw)
        torch.testing.assert_close(module(query, value), expected, atol=1e-5, rtol=1e-5)
