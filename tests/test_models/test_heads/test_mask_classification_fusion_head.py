"""MaskClassificationFusionHead: K-Net scores (stuff kernels score their own class), filters, resizing."""
import pytest
import torch
from mmdet.structures import DetDataSample

from mmpanoptic.models.heads import MaskClassificationFusionHead


def _meta(img=(40, 50), pad=(48, 64), ori=(80, 100)):
    return DetDataSample(metainfo=dict(img_shape=img, batch_input_shape=pad, ori_shape=ori))


def test_knet_scores_use_thing_columns_and_stuff_diagonal():
    head = MaskClassificationFusionHead(num_things_classes=2, num_stuff_classes=2, num_bound_kernels=2)
    logits = torch.full((4, 4), -5.0)
    logits[0, 1] = 2.0   # thing kernel: best thing class 1
    logits[0, 3] = 9.0   # stuff columns of thing kernels are ignored
    logits[2, 2] = 1.0   # stuff kernel 0 -> class 2, on its own column only
    logits[3, 2] = 8.0
    scores, labels, _ = head.scores_and_labels(logits)
    assert labels.tolist() == [1, 0, 2, 3]
    torch.testing.assert_close(scores[[0, 2, 3]], torch.tensor([2.0, 1.0, -5.0]).sigmoid())


@pytest.mark.parametrize('merge', ['iterative', 'parallel'])
@pytest.mark.parametrize('mask_resize', ['pad_crop', 'direct'])
def test_prediction_size_and_things_threshold(merge, mask_resize):
    head = MaskClassificationFusionHead(num_things_classes=2, num_stuff_classes=1, num_bound_kernels=1,
                                        test_cfg=dict(merge=merge, mask_resize=mask_resize))
    cls = torch.full((1, 3, 3), -6.0)
    cls[0, 0, 0] = 3.0      # confident thing
    cls[0, 1, 1] = -2.0     # thing below 0.3
    cls[0, 2, 2] = 0.0      # stuff (no threshold)
    masks = torch.full((1, 3, 12, 16), -8.0)
    masks[0, 0, :6, :8] = 8
    masks[0, 1, 6:, :8] = 8
    masks[0, 2, :, 8:] = 8
    pan = head.predict(cls, masks, [_meta()])[0]['pan_results'].sem_seg
    assert pan.shape == (1, 80, 100)
    values = set(pan.unique().tolist())
    assert values == {0 + 1000, 2, 3}  # the thing, the stuff and void (the rejected thing's pixels)


def test_invalid_arguments_raise():
    with pytest.raises(ValueError, match='merge'):
        MaskClassificationFusionHead(2, 1, test_cfg=dict(merge='fast'))
    # a misspelt key used to switch K-Net's scoring to RT-K-Net's silently
    with pytest.raises(TypeError, match='num_bound_kernel'):
        MaskClassificationFusionHead(2, 1, num_bound_kernel=1)
    with pytest.raises(ValueError, match=r"unknown test_cfg keys \['overlap_thresh'\]"):
        MaskClassificationFusionHead(2, 1, test_cfg=dict(overlap_thresh=0.5))


def _family_head(base, **overrides):
    """The fusion head of a family's base config (its official post-processing by default)."""
    from mmengine.config import Config

    from mmpanoptic.registry import MODELS
    from mmpanoptic.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(base).model
    counts = dict(num_things_classes=cfg.num_things_classes, num_stuff_classes=cfg.num_stuff_classes)
    if MODELS.get(cfg.type).bound_stuff_kernels:  # as the segmentor sets it
        counts['num_bound_kernels'] = cfg.num_stuff_classes
    return MODELS.build(dict(cfg.panoptic_fusion_head, **counts, test_cfg=dict(cfg.test_cfg, **overrides)))


KNET_BASE = 'configs/_base_/models/knet_s3_r50_fpn_panoptic.py'
RTKNET_BASE = 'configs/_base_/models/rtknet_rtformer-b.py'


def _boundary_case(num_queries, thing_query, thing_label, num_classes):
    """Query ``thing_query`` owns 105 pixels (mask >= 0.5) of which exactly 63 are visible (ratio 0.6):
    another query with a higher score covers the other 42."""
    masks = torch.full((num_queries, 1, 210), -10.0)
    masks[thing_query, 0, :105] = 10.0
    other = (thing_query + 1) % num_queries
    masks[other, 0, 63:105] = 10.0
    masks[other, 0, 105:] = 10.0
    cls = torch.full((num_queries, num_classes), -10.0)
    cls[thing_query, thing_label] = 1.0
    cls[other, thing_label] = 3.0
    return cls, masks


@pytest.mark.parametrize('merge', ['iterative', 'parallel'])
@pytest.mark.parametrize('base, keeps', [(KNET_BASE, True), (RTKNET_BASE, False)])
def test_overlap_boundary_follows_each_familys_official_rule(base, keeps, merge):
    # Official K-Net drops a segment if 63 / 105 < 0.6 in float64 (False: kept); official RT-K-Net keeps it
    # if 63 >= 105 * 0.6 in float32 (False: 0.6f is 0.6000000238, dropped).
    head = _family_head(base, merge=merge)
    num_queries = 153 if head.num_bound_kernels else 100
    cls, masks = _boundary_case(num_queries, 0, 0, head.num_classes)
    meta = DetDataSample(metainfo=dict(img_shape=(1, 210), batch_input_shape=(1, 210), ori_shape=(1, 210)))
    pan = head.predict(cls[None], masks[None], [meta])[0]['pan_results'].sem_seg[0, 0]
    first_pixels = pan[:63]
    assert bool((first_pixels != head.num_classes).all()) is keeps
    assert len(set(first_pixels.tolist())) == 1


def test_rtknet_class_ties_go_to_stuff_first():
    # sigmoid(30) and sigmoid(40) are both exactly 1.0 in float32: official RT-K-Net's max over its
    # stuff-first columns picks the stuff class; mmpanoptic's things-first order would pick the thing.
    assert torch.tensor(30.0).sigmoid() == torch.tensor(40.0).sigmoid() == 1.0
    head = _family_head(RTKNET_BASE)
    cls = torch.full((2, head.num_classes), -10.0)
    cls[0, 2] = 40.0                           # thing 'car' (label 2)
    cls[0, head.num_things_classes + 4] = 30.0  # stuff 'fence' (label 8 + 4)
    cls[1, 3] = 5.0
    scores, labels, _ = head.scores_and_labels(cls)
    assert labels.tolist() == [head.num_things_classes + 4, 3]
    assert _family_head(RTKNET_BASE, tie_order='things_first').scores_and_labels(cls)[1].tolist() == [2, 3]
    # no tie: the larger probability wins in either order
    cls[0, head.num_things_classes + 4] = 2.0
    assert head.scores_and_labels(cls)[1].tolist() == [2, 3]


def _segments(pan, void):
    """{(label, pixel indices)} of a map of ``label + id * INSTANCE_OFFSET`` codes."""
    from mmdet.evaluation.functional import INSTANCE_OFFSET
    return {(int(v) % INSTANCE_OFFSET, tuple(torch.nonzero(pan.flatten() == v).flatten().tolist()))
            for v in pan.unique().tolist() if v != void}


def _official_rtknet_restated(cls, masks, img_shape, ori_shape, num_things, num_classes):
    """Official RT-K-Net inference restated with things-first labels: logits bilinear to the un-padded
    size, then sigmoid; keep scores >= min(0.3, max); argmax; keep a query if its area >= 0.6 * own area
    (float32); a thing is numbered by its index among the kept queries + 1, stuff gets 0 (written in mmdet's
    ``label + id * 1000`` instead of the official ``label * 1000 + id``); nearest to the original size."""
    probs = cls.sigmoid()
    scores, index = torch.cat([probs[:, num_things:], probs[:, :num_things]], 1).max(1)
    num_stuff = num_classes - num_things
    labels = torch.where(index < num_stuff, index + num_things, index - num_stuff)
    keep = scores >= min(0.3, float(scores.max()))
    masks = torch.nn.functional.interpolate(masks[None], img_shape, mode='bilinear', align_corners=False)[0]
    masks, scores, labels = masks[keep].sigmoid(), scores[keep], labels[keep]
    ids = (scores[:, None, None] * masks).argmax(0)
    area = torch.bincount(ids.flatten(), minlength=len(scores))
    own = (masks >= 0.5).sum((1, 2)) * 0.6
    kept = (area >= own) & (area > 0) & (own > 0)
    codes = labels + 1000 * torch.where(labels < num_things, torch.arange(len(labels)) + 1, 0)
    pan = torch.where(kept[ids], codes[ids], num_classes)
    return torch.nn.functional.interpolate(pan[None, None].float(), ori_shape, mode='nearest')[0, 0].long()


@pytest.mark.parametrize('seed', range(6))
def test_rtknet_default_equals_the_official_postprocessing_restated(seed):
    head = _family_head(RTKNET_BASE)
    gen = torch.Generator().manual_seed(seed)
    cls = torch.randn(12, head.num_classes, generator=gen) * 3
    masks = torch.randn(12, 12, 16, generator=gen) - 4   # each query: a noisy rectangle on a low background
    for q in range(12):
        y, x = torch.randint(0, 9, (1, ), generator=gen).item(), torch.randint(0, 12, (1, ), generator=gen).item()
        masks[q, y:y + 5, x:x + 6] += 8
    meta = dict(img_shape=(90, 120), batch_input_shape=(96, 128), ori_shape=(45, 60))
    pan = head.predict(cls[None], masks[None], [DetDataSample(metainfo=meta)])[0]['pan_results'].sem_seg[0]
    official = _official_rtknet_restated(cls, masks, (90, 120), (45, 60), head.num_things_classes,
                                         head.num_classes)
    assert len(_segments(official, head.num_classes)) >= 2
    assert _segments(pan, head.num_classes) == _segments(official, head.num_classes)
    # sigmoid before resizing (the former default) is not the official order: pixels change
    old_head = _family_head(RTKNET_BASE, mask_resize='pad_crop')
    old = old_head.predict(cls[None], masks[None], [DetDataSample(metainfo=meta)])
    assert _segments(old[0]['pan_results'].sem_seg[0], head.num_classes) != _segments(official, head.num_classes)


YOSO_BASE = 'configs/_base_/models/yoso_r50.py'


@pytest.mark.parametrize('seed', range(8))
def test_yoso_default_equals_mmdet_maskformer_fusion_head(seed):
    """YOSO's official inference is Mask2Former's; mmdet's MaskFormerFusionHead implements it (upstream of
    it, mmdet's MaskFormerHead upsamples the masks to the padded input)."""
    from mmdet.models.seg_heads.panoptic_fusion_heads import MaskFormerFusionHead
    from mmengine.config import Config
    cfg = Config.fromfile(YOSO_BASE).model
    num_things, num_stuff = 6, 4
    thr = (0.7, 0.2, 0.0, 0.5, 0.8, 0.7, 0.2, 0.0)[seed]
    ours = MaskClassificationFusionHead(num_things, num_stuff, test_cfg=dict(cfg.test_cfg, score_thr=thr))
    mmdet_head = MaskFormerFusionHead(
        num_things_classes=num_things, num_stuff_classes=num_stuff,
        test_cfg=dict(panoptic_on=True, instance_on=True, max_per_image=100, iou_thr=0.8, object_mask_thr=thr,
                      filter_low_score=True))
    gen = torch.Generator().manual_seed(seed)
    queries = 12
    cls = torch.randn(1, queries, num_things + num_stuff + 1, generator=gen) * 3
    masks = torch.randn(1, queries, 12, 16, generator=gen) - 4
    for q in range(queries):
        y, x = torch.randint(0, 9, (1, ), generator=gen).item(), torch.randint(0, 12, (1, ), generator=gen).item()
        masks[0, q, y:y + 5, x:x + 6] += 8
    masks = torch.nn.functional.interpolate(masks, (48, 64), mode='bilinear', align_corners=False)
    sample = DetDataSample(metainfo=dict(img_shape=(45, 60), batch_input_shape=(48, 64), ori_shape=(90, 120)))
    expected = mmdet_head.predict(cls, masks, [sample], rescale=True)[0]
    got = ours.predict(cls, masks, [sample], rescale=True)[0]
    pan = got['pan_results'].sem_seg
    assert pan.dtype == torch.long
    assert _segments(pan[0], ours.num_classes) == _segments(expected['pan_results'].sem_seg[0].long(),
                                                            ours.num_classes)
    for key in ('labels', 'scores', 'bboxes', 'masks'):
        a, b = got['ins_results'][key], expected['ins_results'][key]
        order_a, order_b = torch.argsort(got['ins_results'].scores), torch.argsort(expected['ins_results'].scores)
        torch.testing.assert_close(a[order_a].float(), b[order_b].float())


def test_kept_query_indices_name_the_segments():
    head = MaskClassificationFusionHead(2, 1, test_cfg=dict(score_filter='all', score_thr=0.3))
    cls = torch.full((1, 4, 3), -6.0)
    cls[0, 0, 0] = 3.0   # thing, left half
    cls[0, 1, 2] = 2.0   # stuff, right half
    cls[0, 2, 1] = -5.0  # filtered out by the score
    cls[0, 3, 1] = 4.0   # thing whose mask is hidden by query 0: not a segment
    masks = torch.full((1, 4, 12, 16), -8.0)
    masks[0, 0, :, :8] = 8
    masks[0, 1, :, 8:] = 8
    masks[0, 3, :2, :2] = 1
    meta = DetDataSample(metainfo=dict(img_shape=(12, 16), batch_input_shape=(12, 16), ori_shape=(12, 16)))
    result = head.predict(cls, masks, [meta])[0]
    pan = result['pan_results'].sem_seg[0]
    assert result['segment_queries'].tolist() == [0, 1]
    for query, value in zip(result['segment_queries'].tolist(), result['segment_values'].tolist()):
        assert (pan[:, :8] == value).all() if query == 0 else (pan[:, 8:] == value).all()


@pytest.mark.parametrize('mask_resize', ['pad_crop', 'pad_crop_logits', 'direct'])
def test_no_query_above_the_threshold_gives_an_all_void_map(mask_resize):
    head = MaskClassificationFusionHead(2, 1, test_cfg=dict(scorer='softmax', score_filter='object', score_thr=0.9,
                                                            mask_resize=mask_resize))
    cls = torch.zeros(1, 3, 4)  # uniform softmax: every score is 0.25
    result = head.predict(cls, torch.zeros(1, 3, 6, 8), [_meta()])[0]
    assert result['pan_results'].sem_seg.shape == (1, 80, 100)
    assert (result['pan_results'].sem_seg == head.num_classes).all() and len(result['segment_queries']) == 0


def test_quality_rescoring_and_per_kind_thresholds():
    """Rescoring by squared mask quality (Panoptic SegFormer): a confident class with a weak mask falls below
    the things threshold; stuff has its own threshold."""
    head = MaskClassificationFusionHead(1, 1, test_cfg=dict(
        score_filter='by_kind', score_thr=0.25, stuff_score_thr=0.6, rescore='mask_quality_squared',
        merge='paint', overlap_thr=0.4, stuff_overlap_thr=0.2, mask_resize='direct'))
    cls = torch.full((1, 3, 2), -10.0)
    cls[0, 0, 0] = 10.0   # thing, strong mask (prob ~1): score ~1
    cls[0, 1, 0] = 10.0   # thing, weak mask (prob 0.55): q = 0.55 * 12 / 13, score ~0.26 -> kept
    cls[0, 2, 1] = 10.0   # stuff, mask prob 0.7: q = 0.7 * area / (area + 1), score ~0.47 < 0.6 -> dropped
    masks = torch.full((1, 3, 4, 8), -10.0)
    masks[0, 0, :, :3] = 10.0
    masks[0, 1, :, 3:6] = torch.logit(torch.tensor(0.55))
    masks[0, 2, :, 6:] = torch.logit(torch.tensor(0.7))
    meta = DetDataSample(metainfo=dict(img_shape=(4, 8), batch_input_shape=(4, 8), ori_shape=(4, 8)))
    result = head.predict(cls, masks, [meta])[0]
    pan = result['pan_results'].sem_seg[0]
    assert (pan[:, :3] == 1000).all() and (pan[:, 3:6] == 2000).all() and (pan[:, 6:] == head.num_classes).all()
    assert result['segment_queries'].tolist() == [0, 1]
