"""Iterative vs parallel panoptic merge, and both against re-statements of the official merges."""
import pytest
import torch
from mmdet.evaluation.functional import INSTANCE_OFFSET

from mmpanoptic.models.post_processing import merge_panoptic_iterative, merge_panoptic_parallel

NUM_THINGS, NUM_CLASSES = 5, 8


def _partition(panoptic):
    """Canonical form of a panoptic map: the set of (label, frozenset of pixels) segments, where all pixels
    of a stuff class form one segment (instance numbering is ignored)."""
    flat = panoptic.flatten()
    labels = flat % INSTANCE_OFFSET
    keys = torch.where(labels >= NUM_THINGS, labels, flat)
    return {(int(key) % INSTANCE_OFFSET, frozenset(torch.nonzero(keys == key).squeeze(1).tolist()))
            for key in keys.unique()}


def _random_inputs(seed, num=30, size=(24, 32)):
    gen = torch.Generator().manual_seed(seed)
    masks = (torch.randn((num, *size), generator=gen) * 3).sigmoid()
    scores = torch.rand(num, generator=gen)
    labels = torch.randint(0, NUM_CLASSES, (num, ), generator=gen)
    eligible = (labels >= NUM_THINGS) | (scores >= 0.3)
    return masks, scores, labels, eligible


@pytest.mark.parametrize('seed', range(6))
def test_iterative_and_parallel_give_the_same_partition(seed):
    masks, scores, labels, eligible = _random_inputs(seed)
    iterative = merge_panoptic_iterative(masks, scores, labels, eligible, NUM_THINGS, NUM_CLASSES, 0.2).panoptic
    parallel = merge_panoptic_parallel(masks, scores, labels, eligible, NUM_THINGS, NUM_CLASSES, 0.2).panoptic
    assert _partition(iterative) == _partition(parallel)
    assert len(_partition(iterative)) > 3  # not a trivial map
    for pan in (iterative, parallel):
        labels_out = pan % INSTANCE_OFFSET
        ids = pan // INSTANCE_OFFSET
        assert ((labels_out < NUM_THINGS) == (ids > 0)).all(), 'things carry ids >= 1, stuff and void id 0'


def test_empty_inputs_give_void():
    empty = torch.zeros(0, 4, 5)
    none = torch.zeros(0)
    for merge in (merge_panoptic_iterative, merge_panoptic_parallel):
        out, codes = merge(empty, none, none.long(), none.bool(), NUM_THINGS, NUM_CLASSES)
        assert out.shape == (4, 5) and (out == NUM_CLASSES).all() and codes.shape == (0, )


def _official_knet_merge(masks, labels, scores, thr, overlap):
    """K-Net KernelIterHead.merge_stuff_thing (mmdet 2.x), as read: stuff and things share one counter."""
    pan = torch.full(masks.shape[-2:], NUM_CLASSES, dtype=torch.long)
    ids = (scores.view(-1, 1, 1) * masks).argmax(0)
    segment = 0
    for k in torch.argsort(-scores):
        if labels[k] < NUM_THINGS and scores[k] < thr:
            continue
        mask = ids == k
        area, orig = mask.sum().item(), (masks[k] >= 0.5).sum().item()
        if area > 0 and orig > 0:
            if area / orig < overlap:
                continue
            pan[mask] = labels[k] + segment * INSTANCE_OFFSET
            segment += 1
    return pan


def _official_rtknet_merge(masks, labels, scores, thr, overlap):
    """RT-K-Net get_prediction (after the sigmoid of the masks), as read: detectron2 encoding
    ``label * 1000 + id``, -1 marks void."""
    keep = scores >= min(thr, scores.max().item())
    scores, labels, masks = scores[keep], labels[keep], masks[keep]
    ids = torch.arange(masks.shape[0], dtype=torch.int32)
    ids[labels >= NUM_THINGS] = 0  # our classes are things first
    codes = labels * INSTANCE_OFFSET + ids + 1
    one_hot = torch.zeros_like(masks, dtype=torch.bool).scatter_(0, (scores.view(-1, 1, 1) * masks).argmax(
        0, keepdim=True), 1)
    orig = (masks >= 0.5).sum((1, 2)) * overlap
    area = one_hot.sum((1, 2))
    keep2 = (area >= orig) & (area > 0) & (orig > 0)
    pan = torch.einsum('q,qhw->hw', codes[keep2].float(), one_hot[keep2].float()).int() - 1
    return pan


@pytest.mark.parametrize('seed', range(4))
def test_merges_match_official_partitions(seed):
    masks, scores, labels, _ = _random_inputs(seed)
    # K-Net: every query in the argmax; things below the threshold cannot be segments.
    eligible = (labels >= NUM_THINGS) | (scores >= 0.3)
    ours = merge_panoptic_parallel(masks, scores, labels, eligible, NUM_THINGS, NUM_CLASSES, 0.2).panoptic
    official = _official_knet_merge(masks, labels, scores, 0.3, 0.2)
    assert _partition(ours) == _partition(official)
    # RT-K-Net: queries below min(thr, max score) are dropped before the argmax.
    cand = scores >= min(0.3, float(scores.max()))
    ours = merge_panoptic_iterative(masks[cand], scores[cand], labels[cand], torch.ones_like(cand[cand]),
                                    NUM_THINGS, NUM_CLASSES, 0.2).panoptic
    official = _official_rtknet_merge(masks, labels, scores, 0.3, 0.2)
    official = official.long()
    official = torch.where(official < 0, NUM_CLASSES, official // 1000 + official % 1000 * INSTANCE_OFFSET)
    assert _partition(ours) == _partition(official)


def test_paint_merge_hand_worked_case():
    """Panoptic SegFormer's mask-wise merge on a 1 x 10 strip (scores sorted 0.9 > 0.8 > 0.7 > 0.6 > 0.5):

    * q0 thing (0.9) covers pixels 0-3: painted, instance 1;
    * q1 thing (0.8) covers 2-6: 2 of its 5 pixels are taken (0.4, not > 0.4): kept, paints 4-6 (occluded part
      stays q0's), instance 2;
    * q2 stuff (0.7) covers 5-8: 2 of 4 taken (0.5 > 0.2): dropped;
    * q3 stuff (0.6) covers 7-9: nothing taken: paints 7-9;
    * q4 thing (0.5) is not eligible (below its quality threshold): skipped.
    """
    from mmpanoptic.models.post_processing import merge_panoptic_paint
    masks = torch.zeros(5, 1, 10)
    for q, (a, b) in enumerate([(0, 4), (2, 7), (5, 9), (7, 10), (0, 10)]):
        masks[q, 0, a:b] = 0.9
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6, 0.5])
    labels = torch.tensor([0, 1, NUM_THINGS, NUM_THINGS + 1, 0])
    eligible = torch.tensor([True, True, True, True, False])
    pan, codes = merge_panoptic_paint(masks, scores, labels, eligible, NUM_THINGS, NUM_CLASSES, overlap_thr=0.4,
                                      stuff_overlap_thr=0.2)
    expected = [0 + INSTANCE_OFFSET] * 4 + [1 + 2 * INSTANCE_OFFSET] * 3 + [NUM_THINGS + 1] * 3
    assert pan[0].tolist() == expected
    assert codes.tolist() == [INSTANCE_OFFSET, 1 + 2 * INSTANCE_OFFSET, NUM_CLASSES, NUM_THINGS + 1, NUM_CLASSES]
    # the masks are binarised strictly: a probability of exactly 0.5 is not part of a mask
    assert merge_panoptic_paint(torch.full((1, 1, 3), 0.5), scores[:1], labels[:1], eligible[:1], NUM_THINGS,
                                NUM_CLASSES).panoptic.eq(NUM_CLASSES).all()
