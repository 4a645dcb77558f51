"""Shared kernel machinery: group features (with the fp16 overflow case), KernelUpdator, KernelUpdateHead.

The reference functions below re-state the official computations (K-Net ``KernelUpdateHead.forward`` and
``KernelUpdator.forward``; RT-K-Net ``group_feature_assembling``) from a reading of the official code, with
the weights of our modules; they are not copies of it.
"""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpanoptic.models.layers import KernelUpdateHead, KernelUpdator, assemble_group_features


def _randomize(module, seed=0):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * (0.3 if p.dim() > 1 else 0.5) + (1 if p.dim() == 1 else 0))
    return module


def test_group_features_sum_and_mean():
    feats = torch.randn(2, 8, 5, 7)
    logits = torch.randn(2, 3, 5, 7)
    logits[1, 2] = -10  # an empty mask
    binary = (logits.sigmoid() > 0.5).float()
    summed = assemble_group_features(logits, feats, normalize=False)
    mean = assemble_group_features(logits, feats, normalize=True)
    assert summed.shape == mean.shape == (2, 3, 8)
    torch.testing.assert_close(summed, torch.einsum('bnhw,bchw->bnc', binary, feats))
    area = binary.sum((-2, -1)).clamp(min=1)[..., None]
    torch.testing.assert_close(mean, summed / area)
    assert torch.equal(mean[1, 2], torch.zeros(8))


def test_group_features_sum_in_float32_and_normalised_in_fp16():
    # 128x128 mask of features around 8: the sum (~131072) exceeds fp16's max (65504), the mean does not.
    feats = (8 + torch.rand(1, 4, 128, 128)).half()
    logits = torch.full((1, 2, 128, 128), 5.0).half()
    logits[0, 1, :, 64:] = -5
    assert torch.isinf(torch.einsum('bnhw,bchw->bnc', (logits.sigmoid() > 0.5).half(), feats)).any()
    summed = assemble_group_features(logits, feats, normalize=False)
    mean = assemble_group_features(logits, feats, normalize=True)
    # the dtype policy: the sum is taken in float32 even from fp16 inputs; the mean stays in fp16
    assert summed.dtype == torch.float32 and mean.dtype == torch.float16
    torch.testing.assert_close(summed, assemble_group_features(logits.float(), feats.float(), normalize=False))
    assert torch.isfinite(mean).all()
    reference = assemble_group_features(logits.float(), feats.float(), normalize=True)
    torch.testing.assert_close(mean.float(), reference, rtol=2e-3, atol=2e-2)


def test_group_features_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match='spatial size'):
        assemble_group_features(torch.zeros(1, 2, 4, 4), torch.zeros(1, 3, 5, 4), normalize=True)


def _official_updator(upd: KernelUpdator, group_feats, kernels):
    c = upd.feat_channels
    g = group_feats.reshape(-1, upd.in_channels)
    params = upd.dynamic_layer(g)
    p_in, p_out = params[:, :c], params[:, -c:]
    inputs = upd.input_layer(kernels.reshape(g.shape[0], -1, c))
    i_in, i_out = inputs[..., :c], inputs[..., -c:]
    gate = i_in * p_in.unsqueeze(-2)
    in_gate = upd.input_norm_in(upd.input_gate(gate)).sigmoid()
    up_gate = upd.norm_in(upd.update_gate(gate)).sigmoid()
    feats = up_gate * upd.norm_out(p_out).unsqueeze(-2) + in_gate * upd.input_norm_out(i_out)
    return F.relu(upd.fc_norm(upd.fc_layer(feats)))


def _official_stage(head: KernelUpdateHead, x, kernels, masks):
    """K-Net's KernelUpdateHead.forward with 1x1 kernels, seq-first attention and per-image mask conv."""
    b, n = kernels.shape[:2]
    x = head.feat_transform(x) if head.feat_transform is not None else x
    c, h, w = x.shape[-3:]
    gather = F.interpolate(masks, (h, w), mode='bilinear', align_corners=False) if masks.shape[-2:] != (h, w) \
        else masks
    binary = (gather.sigmoid() > 0.5).float()
    if head.normalize_group_features:  # RT-K-Net
        area = binary.sum(-1).sum(-1, keepdim=True).unsqueeze(-1)
        area[area == 0] = 1
        binary = binary / area
    x_feat = torch.einsum('bnhw,bchw->bnc', binary, x)
    obj = _official_updator(head.kernel_update_conv, x_feat, kernels.reshape(b, n, c, 1).permute(0, 1, 3, 2))
    mha = nn.MultiheadAttention(c, head.attention.attn.num_heads)
    mha.load_state_dict(head.attention.attn.state_dict())
    seq = obj.reshape(b, n, -1).permute(1, 0, 2)
    seq = head.attention_norm(seq + mha(seq, seq, seq)[0])
    obj = seq.permute(1, 0, 2).reshape(b, n, 1, c)
    lin1, lin2 = head.ffn.layers[0][0], head.ffn.layers[1]
    obj = head.ffn_norm(obj + lin2(F.relu(lin1(obj))))
    cls_feat = obj.sum(-2)
    for layer in head.cls_fcs:
        cls_feat = layer(cls_feat)
    mask_feat = obj
    for layer in head.mask_fcs:
        mask_feat = layer(mask_feat)
    cls = head.fc_cls(cls_feat)
    mask_kernels = head.fc_mask(mask_feat).permute(0, 1, 3, 2).reshape(b, n, c, 1, 1)
    new_masks = torch.cat([F.conv2d(x[i:i + 1], mask_kernels[i]) for i in range(b)]).reshape(b, n, h, w)
    return obj.reshape(b, n, c), cls, new_masks


@pytest.mark.parametrize('knet_style', [True, False])
def test_kernel_update_head_matches_official_computation(knet_style):
    torch.manual_seed(0)
    head = _randomize(KernelUpdateHead(num_classes=11, in_channels=32, feat_channels=32, num_heads=4,
                                       feedforward_channels=64, with_feat_transform=knet_style,
                                       normalize_group_features=not knet_style)).eval()
    x = torch.randn(2, 32, 12, 16)
    kernels = torch.randn(2, 9, 32)
    masks = torch.randn(2, 9, 6, 8) * 3
    with torch.no_grad():
        new_kernels, cls, new_masks = head(x, kernels, masks)
        ref_kernels, ref_cls, ref_masks = _official_stage(head, x, kernels, masks)
    assert new_kernels.shape == (2, 9, 32) and cls.shape == (2, 9, 11) and new_masks.shape == (2, 9, 12, 16)
    # Max abs differences measured: ~1e-6 (fp32 rounding of einsum vs conv2d and of batch-first attention).
    torch.testing.assert_close(new_kernels, ref_kernels, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(cls, ref_cls, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(new_masks, ref_masks, rtol=1e-4, atol=1e-4)


def test_unnormalised_head_runs_fp32_under_autocast_and_normalised_in_bf16():
    torch.manual_seed(0)
    x = torch.randn(1, 16, 8, 8) * 100
    kernels = torch.randn(1, 5, 16)
    masks = torch.randn(1, 5, 8, 8)
    for normalize, dtype in ((False, torch.float32), (True, torch.bfloat16)):
        head = KernelUpdateHead(num_classes=3, in_channels=16, feat_channels=16, num_heads=2, feedforward_channels=32,
                                normalize_group_features=normalize)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            group = head.group_features(x, masks)
            updated = head.update_kernels(group, kernels)
            out = head(x, kernels, masks)
        assert group.dtype == updated.dtype == dtype
        assert all(torch.isfinite(t.float()).all() for t in out)


def test_kernel_updator_shapes_and_official_key_names():
    upd = KernelUpdator(in_channels=8, feat_channels=8)
    out = upd(torch.randn(3, 4, 8), torch.randn(3, 4, 8))
    assert out.shape == (3, 4, 8)
    assert {k.split('.')[0] for k in upd.state_dict()} == {
        'dynamic_layer', 'input_layer', 'input_gate', 'update_gate', 'norm_in', 'norm_out', 'input_norm_in',
        'input_norm_out', 'fc_layer', 'fc_norm'}
