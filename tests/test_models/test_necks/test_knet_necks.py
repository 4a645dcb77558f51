"""Semantic FPN with positional encoding (K-Net) and the RTFormer feature head (RT-K-Net)."""
import torch

from mmpanoptic.models.necks import RTFormerFeatureHead, SemanticFPNWithPE


def test_semantic_fpn_shapes_names_and_odd_sizes():
    neck = SemanticFPNWithPE(in_channels=32, feat_channels=32, out_channels=16, pe_num_feats=16,
                             norm_cfg=dict(type='GN', num_groups=8))
    names = {k.rsplit('.', 2)[0] for k in neck.state_dict()}
    assert {'convs_all_levels.0.conv0', 'convs_all_levels.3.conv2', 'conv_pred', 'aux_convs.0'} <= names
    feats = [torch.randn(2, 32, s, s + 3) for s in (25, 13, 7, 4)]  # not powers of two
    loc, sem = neck(feats)
    assert loc.shape == sem.shape == (2, 16, 13, 16)


def test_rtformer_feature_head_shapes_and_dappm_names():
    head = RTFormerFeatureHead(in_channels=(16, 64), dappm_channels=8, head_channels=32, out_channels=24).eval()
    keys = set(head.state_dict())
    assert {'dappm.scales.0.bn.weight', 'dappm.scales.4.1.conv.weight', 'dappm.processes.3.conv.weight',
            'dappm.compression.bn.weight', 'dappm.shortcut.conv.weight', 'conv.5.bias'} <= keys
    out = head([torch.randn(1, 16, 12, 20), torch.randn(1, 64, 3, 5)])
    assert isinstance(out, tuple) and len(out) == 1 and out[0].shape == (1, 24, 12, 20)
