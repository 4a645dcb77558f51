"""KernelIterHead: stage assignment scheme, targets with bound stuff kernels, losses."""
import pytest
import torch
from mmengine.structures import InstanceData

from mmpanoptic.registry import MODELS
from mmpanoptic.utils import register_all_modules

register_all_modules()

C = 16


def _head(assign_on, num_bound=0, num_classes=5, num_things=3):
    head = MODELS.build(dict(
        type='KernelIterHead', num_classes=num_classes, num_things_classes=num_things, num_stages=3,
        stage_cfg=dict(type='KernelUpdateHead', in_channels=C, feat_channels=C, num_heads=2, feedforward_channels=32),
        num_matched_kernels=6, num_bound_kernels=num_bound, assign_on=assign_on))
    head.init_weights()
    return head.eval()


def _gt(num=2, size=(16, 16), label_offset=0):
    masks = torch.zeros(num, *size)
    for i in range(num):
        masks[i, 4 * i:4 * i + 6, 2:10] = 1
    return InstanceData(labels=torch.arange(num) + label_offset, masks=masks)


@pytest.mark.parametrize('assign_on', ['previous', 'current'])
def test_stage_assignment_scheme(assign_on):
    torch.manual_seed(0)
    head = _head(assign_on)
    feats, kernels, masks = torch.randn(1, C, 8, 8), torch.randn(1, 6, C), torch.randn(1, 6, 8, 8)
    seen = []
    original = head.assigner.assign

    def record(pred, gt, *args, **kwargs):
        seen.append((pred.masks.clone(), pred.scores.clone() if 'scores' in pred else None))
        return original(pred, gt, *args, **kwargs)

    head.assigner.assign = record
    with torch.no_grad():
        losses = head.loss(feats, kernels, (None, masks), [_gt()])
        outputs = head(feats, kernels, masks)
    assert sorted(losses) == sorted(f's{s}_loss_{n}' for s in range(3) for n in ('cls', 'mask', 'dice', 'rank'))
    assert len(seen) == 3
    assert [k.shape for k, _, _ in outputs] == [(1, 6, C)] * 3
    outputs = [(cls, masks) for _, cls, masks in outputs]
    upsampled = [head.upsample(m) for _, m in outputs]
    if assign_on == 'previous':  # K-Net: stage s matched on stage s-1 (the initial masks, no class, for s=0)
        expected = [(head.upsample(masks), None)] + [(upsampled[s], outputs[s][0]) for s in range(2)]
    else:  # RT-K-Net: every stage on its own predictions
        expected = [(upsampled[s], outputs[s][0]) for s in range(3)]
    for (got_masks, got_scores), (exp_masks, exp_scores) in zip(seen, expected):
        torch.testing.assert_close(got_masks, exp_masks[0])
        if exp_scores is None:
            assert got_scores is None
        else:
            torch.testing.assert_close(got_scores, exp_scores[0])


def test_targets_bind_stuff_kernels_to_their_classes():
    head = _head('previous', num_bound=2)
    mask_logits = torch.randn(1, 8, 16, 16)
    stuff = torch.zeros(2, 16, 16)
    stuff[1, 10:] = 1  # only the second stuff class (label 4) is present
    targets = head.get_targets((None, mask_logits), [_gt()], [stuff])
    labels, weights, pos = targets['labels'][0], targets['label_weights'][0], targets['pos'][0]
    assert labels[6].item() == 5 and labels[7].item() == 4  # absent stuff -> background (num_classes)
    assert pos[:6].sum() == 2 and not pos[6] and pos[7]
    torch.testing.assert_close(weights[6], torch.tensor([0., 0, 0, 1, 0]))
    torch.testing.assert_close(weights[7], torch.tensor([0., 0, 0, 0, 1]))
    assert (weights[:6, :3] == 1).all() and (weights[:6, 3:] == 0).all()
    torch.testing.assert_close(targets['mask_targets'][0, 7], stuff[1])
    assert sorted(labels[:6][pos[:6]].tolist()) == [0, 1]


def test_no_ground_truth_gives_zero_mask_losses_and_finite_cls():
    head = _head('current')
    feats, kernels, masks = torch.randn(1, C, 8, 8), torch.randn(1, 6, C), torch.randn(1, 6, 8, 8)
    empty = InstanceData(labels=torch.zeros(0, dtype=torch.long), masks=torch.zeros(0, 16, 16))
    losses = head.loss(feats, kernels, (None, masks), [empty])
    assert losses['s0_loss_mask'].item() == 0 and losses['s0_loss_dice'].item() == 0
    assert torch.isfinite(losses['s0_loss_cls']) and losses['s0_loss_cls'].requires_grad


def test_invalid_arguments():
    with pytest.raises(ValueError, match='assign_on'):
        _head('next')
    head = _head('previous', num_bound=0)
    with pytest.raises(ValueError, match='num_bound_kernels'):
        head.get_targets((None, torch.randn(1, 8, 16, 16)), [_gt()])
