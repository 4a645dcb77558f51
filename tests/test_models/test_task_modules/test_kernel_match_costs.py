"""K-Net / RT-K-Net matching costs and the kernel Hungarian assigner."""
import torch
from mmengine.structures import InstanceData

from mmpanoptic.models.task_modules import KernelDiceCost, KernelHungarianAssigner, KernelMaskCost


def _inputs():
    gen = torch.Generator().manual_seed(0)
    pred = InstanceData(masks=torch.randn(5, 6, 7, generator=gen) * 3, scores=torch.randn(5, 4, generator=gen))
    gt = InstanceData(masks=(torch.rand(3, 6, 7, generator=gen) > 0.5).float(), labels=torch.tensor([0, 2, 3]))
    return pred, gt


def test_dice_cost_matches_knet_formula():
    pred, gt = _inputs()
    p, t = pred.masks.flatten(1).sigmoid(), gt.masks.flatten(1)
    # K-Net's DiceCost (as read): -2 sum(pt) / ((sum(p^2) + 1e-3) + (sum(t^2) + 1e-3))
    ref = torch.stack([torch.stack([-2 * (pi * ti).sum() / ((pi.pow(2).sum() + 1e-3) + (ti.pow(2).sum() + 1e-3))
                                    for ti in t]) for pi in p])
    torch.testing.assert_close(KernelDiceCost(weight=4.0)(pred, gt), 4 * ref)
    clamped = KernelDiceCost(prob_clamp=(0.001, 1.0))(pred, gt)
    pc = p.clamp(0.001, 1.0)
    torch.testing.assert_close(clamped, -2 * pc @ t.t() / (pc.pow(2).sum(-1)[:, None] + t.pow(2).sum(-1) + 2e-3))


def test_mask_cost_matches_formula():
    pred, gt = _inputs()
    p, t = pred.masks.flatten(1).sigmoid().clamp(0.01, 1.0), gt.masks.flatten(1)
    ref = -(p @ t.t() + (1 - p) @ (1 - t).t()) / p.shape[1]
    torch.testing.assert_close(KernelMaskCost(prob_clamp=(0.01, 1.0))(pred, gt), ref)


def test_assigner_skips_class_cost_without_scores_and_handles_nan():
    pred, gt = _inputs()
    assigner = KernelHungarianAssigner([dict(type='FocalLossCost', weight=2.0), dict(type='KernelDiceCost', weight=4.0),
                                        dict(type='KernelMaskCost', weight=1.0)])
    with_cls = assigner.assign(pred, gt)
    masks_only = assigner.assign(InstanceData(masks=pred.masks), gt)
    for result in (with_cls, masks_only):
        assert (result.gt_inds > 0).sum() == 3 and sorted(result.gt_inds[result.gt_inds > 0].tolist()) == [1, 2, 3]
    bad = InstanceData(masks=torch.full((5, 6, 7), float('nan')))
    assert (assigner.assign(bad, gt).gt_inds > 0).sum() == 3
