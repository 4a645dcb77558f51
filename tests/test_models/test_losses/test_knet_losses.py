"""Rank loss, hard-pixel CE and instance discrimination loss against re-statements of the official code."""
import torch
import torch.nn.functional as F

from mmpanoptic.models.losses import InstanceDiscriminationLoss, MaskRankLoss, TopKPixelCrossEntropyLoss


def _targets(seed=0):
    gen = torch.Generator().manual_seed(seed)
    targets = (torch.rand(2, 6, 10, 12, generator=gen) > 0.7).float()
    pos = torch.tensor([[1, 0, 1, 1, 0, 0], [0, 1, 0, 0, 1, 1]], dtype=torch.bool)
    return torch.randn(2, 6, 10, 12, generator=gen), targets, pos


def test_rank_loss_knet_targets():
    logits, targets, pos = _targets()
    loss = MaskRankLoss('last', loss_weight=1.0)
    # K-Net: loop over positive kernels in index order, later kernels overwrite; 255 elsewhere.
    ref = torch.full((2, 10, 12), 255, dtype=torch.long)
    for b in range(2):
        for j in torch.nonzero(pos[b]).squeeze(1):
            ref[b][targets[b, j].bool()] = j
    got = loss.rank_targets(targets, pos)
    torch.testing.assert_close(torch.where(got == 6, 255, got), ref)
    expected = F.cross_entropy(logits, ref, ignore_index=255, reduction='none').mean()  # mean incl. ignored
    torch.testing.assert_close(loss(logits, targets, pos), expected)


def test_rank_loss_rtknet_targets():
    logits, targets, pos = _targets(1)
    soft = targets * torch.rand(targets.shape)
    loss = MaskRankLoss('argmax', loss_weight=0.1)
    masked = soft * pos[..., None, None]
    ref = torch.cat([masked, masked.new_full((2, 1, 10, 12), 0.5)], 1).argmax(1)
    expected = 0.1 * F.cross_entropy(logits, ref, ignore_index=int(ref.max()), reduction='none').mean()
    torch.testing.assert_close(loss(logits, soft, pos), expected)


def test_topk_pixel_ce():
    logits = torch.randn(2, 5, 8, 8)
    labels = torch.randint(0, 5, (2, 8, 8))
    labels[0, :2] = 255
    loss = TopKPixelCrossEntropyLoss(top_k_percent=0.2)(logits, labels)
    per_pixel = F.cross_entropy(logits, labels, ignore_index=255, reduction='none').flatten()
    expected = per_pixel.topk(int(0.2 * per_pixel.numel())).values.sum() / (labels != 255).sum()
    torch.testing.assert_close(loss, expected)


def _official_inst_disc(feats, masks, k=64, temp=0.3):
    """RT-K-Net instance_discrimination_loss, as read (unit weight)."""
    feats = F.normalize(feats)
    n, c, h, w = masks.shape
    masks = torch.round(masks.view(n, c, h * w))
    area = torch.einsum('bn,bnp->bp', masks.sum(-1), masks)
    area[area == 0] = 1
    inv = h * w / area
    non_void = inv.new_ones(n, h * w)
    non_void[masks.sum(1) == 0] = 0
    logits = torch.log(inv) * temp + (1 - non_void) * -99999.0
    gumbel = -torch.log(-torch.log(torch.rand(logits.shape)))
    _, idx = torch.topk(logits + gumbel, k)
    gt = torch.gather(masks, index=idx.unsqueeze(1).repeat(1, c, 1), dim=-1)
    gt_sim = torch.einsum('bik,bij->bkj', gt, gt)
    f = feats.view(n, feats.shape[1], h * w)
    pred = torch.gather(f, index=idx.unsqueeze(1).repeat(1, feats.shape[1], 1), dim=-1)
    pred_sim = torch.einsum('bik,bij->bkj', pred, pred)
    norm = gt_sim.sum(-1, keepdim=True)
    norm[norm == 0] = 1
    return torch.nn.CrossEntropyLoss()(pred_sim / temp, gt_sim / norm)


def test_instance_discrimination_matches_official():
    torch.manual_seed(0)
    feats = torch.randn(2, 8, 16, 16)
    masks = torch.zeros(2, 3, 16, 16)
    masks[:, 0, :8] = 1
    masks[:, 1, 8:, :4] = 1
    masks[:, 2, 8:, 4:12] = 1  # the last 4 columns of the lower half are void
    torch.manual_seed(1)
    ours = InstanceDiscriminationLoss(num_samples=64)(feats, masks)
    torch.manual_seed(1)
    official = _official_inst_disc(feats, masks)
    torch.testing.assert_close(ours, official, rtol=1e-5, atol=1e-5)


def test_instance_discrimination_all_void_is_zero():
    feats = torch.randn(1, 4, 8, 8, requires_grad=True)
    loss = InstanceDiscriminationLoss(num_samples=16)(feats, torch.zeros(1, 2, 8, 8))
    assert loss.item() == 0 and loss.requires_grad
