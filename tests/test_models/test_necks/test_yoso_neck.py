"""Tests of the YOSO neck: shapes, CFA/IFA equivalence, and agreement with a re-statement of the official
computation (detectron2 DCNv2 semantics, scale-factor interpolation, CoordConv)."""
import pytest
import torch
import torch.nn.functional as F

from mmpanoptic.models.necks import YOSONeck, convert_ifa_to_cfa

IN_CHANNELS = (16, 32, 64, 128)


def _feats(batch=2, h=64, w=96, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, c, h // s, w // s, generator=g) for c, s in zip(IN_CHANNELS, (4, 8, 16, 32))]


def _randomise_norms(neck):
    g = torch.Generator().manual_seed(1)
    for m in neck.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.1)


def reference_modulated_deform_conv(x, offset, mask, weight):
    """DCNv2 (3x3, stride 1, padding 1, one deformable group) by explicit bilinear sampling.

    Offset channel 2k is the row offset and 2k + 1 the column offset of kernel point k = 3i + j; samples
    outside the image read zeros, as in detectron2's and mmcv's kernels.
    """
    b, c, h, w = x.shape
    ys, xs = torch.meshgrid(torch.arange(h, dtype=x.dtype), torch.arange(w, dtype=x.dtype), indexing='ij')
    out = 0
    for k in range(9):
        i, j = divmod(k, 3)
        py = ys + (i - 1) + offset[:, 2 * k]
        px = xs + (j - 1) + offset[:, 2 * k + 1]
        grid = torch.stack([px / (w - 1) * 2 - 1, py / (h - 1) * 2 - 1], dim=-1)
        sampled = F.grid_sample(x, grid, mode='bilinear', padding_mode='zeros', align_corners=True)
        out = out + torch.einsum('oc,bchw->bohw', weight[:, :, i, j], sampled * mask[:, k:k + 1])
    return out


def reference_official_neck(neck, feats):
    """The official YOSONeck forward (LiteDeformConv with CFA, then CoordConv), restated from the paper and
    the official code with plain torch functions on ``neck``'s parameters (eval-mode BN)."""

    def bn(m, x):
        return F.batch_norm(x, m.running_mean, m.running_var, m.weight, m.bias, False, 0.0, m.eps)

    def deform_layer(m, x):
        offset_mask = F.conv2d(x, m.dcn.conv_offset.weight, m.dcn.conv_offset.bias, padding=1)
        off_a, off_b, mod = torch.chunk(offset_mask, 3, dim=1)
        x = reference_modulated_deform_conv(x, torch.cat([off_a, off_b], 1), mod.sigmoid(), m.dcn.weight)
        x = F.relu(bn(m.dcn_bn, x))
        x = F.conv_transpose2d(x, m.up_sample.weight, stride=2, padding=1)
        return F.relu(bn(m.up_bn, x))

    def conv(m, x, **kw):
        return F.conv2d(x, m.weight, m.bias, **kw)

    x5 = conv(neck.lateral_conv0, feats[3])
    x4 = conv(neck.lateral_conv1, feats[2]) + deform_layer(neck.deform_conv1, x5)
    x3 = conv(neck.lateral_conv2, feats[1]) + deform_layer(neck.deform_conv2, x4)
    x2 = conv(neck.lateral_conv3, feats[0]) + deform_layer(neck.deform_conv3, x3)
    agg = (F.interpolate(conv(neck.conv_a5, x5), scale_factor=8, mode='bilinear', align_corners=False) +
           F.interpolate(conv(neck.conv_a4, x4), scale_factor=4, mode='bilinear', align_corners=False) +
           F.interpolate(conv(neck.conv_a3, x3), scale_factor=2, mode='bilinear', align_corners=False) +
           conv(neck.conv_a2, x2) + neck.bias)
    x = conv(neck.output_conv, agg, padding=1)
    y, xx = torch.meshgrid(torch.linspace(-1, 1, x.shape[-2]), torch.linspace(-1, 1, x.shape[-1]), indexing='ij')
    coords = torch.stack([xx, y])[None].expand(x.shape[0], -1, -1, -1)
    return conv(neck.loc_conv, torch.cat([x, coords], 1))


@pytest.mark.parametrize('aggregation', ['cfa', 'ifa'])
def test_output_shape_and_gradient(aggregation):
    neck = YOSONeck(IN_CHANNELS, agg_channels=24, out_channels=40, aggregation=aggregation)
    neck.init_weights()
    feats = [f.requires_grad_() for f in _feats()]
    (out, ) = neck(feats)
    assert out.shape == (2, 40, 16, 24)
    out.sum().backward()
    assert all(f.grad is not None and f.grad.abs().sum() > 0 for f in feats)
    assert all(p.grad is not None for p in neck.parameters())


def test_init_matches_official():
    neck = YOSONeck()
    neck.init_weights()
    # Xavier on every tensor parameter: the 4-D CFA bias becomes U(-sqrt(6/129), sqrt(6/129)).
    bound = (6 / 129)**0.5
    assert neck.bias.abs().max() <= bound and neck.bias.abs().max() > bound / 2
    assert neck.deform_conv1.dcn.conv_offset.weight.abs().sum() > 0
    assert torch.count_nonzero(neck.deform_conv1.dcn.conv_offset.bias) == 0


def test_ifa_to_cfa_equivalence():
    torch.manual_seed(0)
    ifa = YOSONeck(IN_CHANNELS, agg_channels=24, out_channels=40, aggregation='ifa')
    ifa.init_weights()
    _randomise_norms(ifa)
    ifa.eval()
    cfa = convert_ifa_to_cfa(ifa)
    assert cfa.aggregation == 'cfa' and not cfa.training
    feats = _feats()
    with torch.no_grad():
        out_ifa, out_cfa = ifa(feats)[0], cfa(feats)[0]
    assert (out_ifa - out_cfa).abs().max() < 1e-4 * out_ifa.abs().max()
    # The column blocks of the IFA fusion weight become the per-level CFA weights, in order X5, X4, X3, X2.
    torch.testing.assert_close(cfa.conv_a5.weight, ifa.fuse_conv.weight[:, :64])
    torch.testing.assert_close(cfa.conv_a2.weight, ifa.fuse_conv.weight[:, 64 + 32 + 16:])
    with pytest.raises(ValueError, match='needs an IFA neck'):
        convert_ifa_to_cfa(cfa)


def test_matches_official_computation():
    torch.manual_seed(0)
    neck = YOSONeck(IN_CHANNELS, agg_channels=24, out_channels=40)
    neck.init_weights()
    _randomise_norms(neck)
    # Official init leaves the offsets large; scale them so that samples stay mostly inside the maps.
    for name in ('deform_conv1', 'deform_conv2', 'deform_conv3'):
        getattr(neck, name).dcn.conv_offset.weight.data.mul_(0.3)
    neck.eval()
    feats = _feats(batch=2, h=64, w=96)
    with torch.no_grad():
        ours, ref = neck(feats)[0], reference_official_neck(neck, feats)
    assert (ours - ref).abs().max() < 1e-4 * ref.abs().max()


def test_bad_inputs():
    with pytest.raises(ValueError, match='aggregation'):
        YOSONeck(aggregation='sum')
    neck = YOSONeck(IN_CHANNELS, agg_channels=8, out_channels=8)
    feats = _feats(batch=1, h=64, w=96)
    feats[0] = feats[0][..., :-1]
    with pytest.raises(ValueError, match='multiple of 32'):
        neck(feats)
    with pytest.raises(ValueError, match='4 feature maps'):
        neck(feats[1:])
