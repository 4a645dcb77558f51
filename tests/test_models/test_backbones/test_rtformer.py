"""RTFormer: output shapes, official key layout, external attention against the official grouped-conv form."""
import torch
import torch.nn.functional as F

from mmpanoptic.models.backbones import RTFormer
from mmpanoptic.models.backbones.rtformer import ExternalAttention


def test_output_shapes_and_all_outputs():
    model = RTFormer(base_channels=16, drop_path_rate=0.0, out_indices=tuple(range(9))).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 96, 160))
    expected = [(16, 4), (16, 4), (32, 8), (32, 8), (64, 16), (32, 8), (128, 32), (32, 8), (128, 32)]
    assert [(o.shape[1], 96 // o.shape[2]) for o in outs] == expected


def test_odd_input_size():
    model = RTFormer(base_channels=16, drop_path_rate=0.0).eval()
    with torch.no_grad():
        high, low = model(torch.randn(1, 3, 100, 130))
    assert high.shape[-2:] == (13, 17) and low.shape[-2:] == (4, 5)


def test_base_parameter_layout():
    keys = set(RTFormer().state_dict())
    for key in ('conv1.0.weight', 'conv1.0.bias', 'conv1.4.running_var', 'layer1.1.bn2.weight',
                'layer2.0.downsample.1.weight', 'layer3_.0.conv2.weight', 'compression3.2.weight',
                'layer4.attn_shortcut_l.1.weight', 'layer4.attn_l.k', 'layer4.attn_l.v', 'layer4.attn_h.norm.weight',
                'layer4.mlp_l.norm.weight', 'layer4.cross_kv.2.weight', 'layer4.down.5.weight',
                'layer5.compression.2.weight'):
        assert key in keys, key
    assert not any(k.startswith(('layer5.down', 'layer5.attn_shortcut_l')) for k in keys)
    assert RTFormer().state_dict()['layer4.attn_l.k'].shape == (512, 256, 1, 1)


def test_cross_attention_matches_grouped_conv_form():
    """The official high branch: grouped 1x1 convs with groups = batch (as read in RT-K-Net's port)."""
    torch.manual_seed(0)
    attn = ExternalAttention(8, 8, 9, num_heads=2, cross_kv=True).eval()
    x = torch.randn(2, 8, 5, 6)
    kv = torch.randn(2, 16, 3, 3)
    k, v = kv.split(8, dim=1)
    with torch.no_grad():
        ours = attn(x, k.flatten(2).transpose(1, 2), v.flatten(2))
        n, c, h, w = x.shape
        y = F.conv2d(attn.norm(x).reshape(1, n * c, h, w), k.permute(0, 2, 3, 1).reshape(-1, c, 1, 1), groups=n)
        y = F.softmax(y.view(-1, 9, h, w) * 9**-0.5, dim=1).view(1, -1, h, w)
        ref = F.conv2d(y, v.reshape(-1, 9, 1, 1), groups=n).view(n, c, h, w)
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-5)
