"""The one group-feature pooling and its dtype policy: sums in float32, means in the autocast dtype; YOSO's
decoder stage stays finite under fp16 autocast where the plain fp16 sum overflows."""
import pytest
import torch

from mmpanoptic.models.layers import YOSODecoderLayer
from mmpanoptic.models.layers.group_features import assemble_group_features


def _one_large_mask(size=256, value=1.5, channels=8, queries=3):
    feats = torch.full((1, channels, size, size), value)
    masks = torch.full((1, queries, size, size), -10.0)
    masks[0, 0] = 10.0  # query 0 covers the whole map: its sum is 1.5 * 65536 = 98304 > 65504
    return masks, feats


def test_summed_features_are_float32_and_exact_under_fp16_autocast():
    masks, feats = _one_large_mask()
    assert torch.isinf(torch.einsum('bnhw,bchw->bnc', (masks.sigmoid() > 0.5).half(), feats.half())).any()
    with torch.autocast('cpu', dtype=torch.float16):
        pooled = assemble_group_features(masks.half(), feats.half(), normalize=False)
        averaged = assemble_group_features(masks, feats, normalize=True)
    assert pooled.dtype == torch.float32 and pooled[0, 0, 0].item() == 98304.0
    assert averaged.dtype == torch.float16 and averaged[0, 0, 0].item() == 1.5
    assert pooled[0, 1].abs().sum() == 0 and averaged[0, 1].abs().sum() == 0  # empty masks give zeros


def test_fp32_result_is_unchanged_by_the_policy():
    gen = torch.Generator().manual_seed(0)
    masks, feats = torch.randn(2, 5, 9, 7, generator=gen), torch.randn(2, 4, 9, 7, generator=gen)
    hard = (masks.sigmoid() > 0.5).float()
    torch.testing.assert_close(assemble_group_features(masks, feats, False),
                               torch.einsum('bnhw,bchw->bnc', hard, feats), rtol=0, atol=0)
    area = hard.sum((-2, -1), keepdim=True).clamp(min=1)
    torch.testing.assert_close(assemble_group_features(masks, feats, True),
                               torch.einsum('bnhw,bchw->bnc', hard / area, feats))


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_yoso_stage_is_finite_under_autocast(dtype):
    torch.manual_seed(0)
    stage = YOSODecoderLayer(num_classes=4, embed_dims=8, num_proposals=3, num_heads=2, feedforward_channels=16)
    stage.init_weights()
    masks, feats = _one_large_mask()
    kernels = torch.randn(1, 3, 8)
    with torch.no_grad():
        reference = stage(feats, kernels, masks)
        with torch.autocast('cpu', dtype=dtype):
            outputs = stage(feats, kernels, masks)
    for out, ref in zip(outputs, reference):
        assert torch.isfinite(out).all()
        torch.testing.assert_close(out.float(), ref, rtol=0.1, atol=0.5 * ref.abs().max().item() * 0.1)
