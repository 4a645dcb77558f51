"""RT-PanoNet (real-time panoptic from dense detections): shapes, target assignment, the parameter-free mask
construction (both correlations), the explicit mask loss, the panoptic fusion, CPU inference, bad input and
the official checkpoint layout.

The hand-computed expectations restate the paper and the released inference code
(``TRI-ML/realtime_panoptic``: ``rt_pano_net.py``, ``panoptic_from_dense_box.py``); the official modules
themselves were compared next to ours outside the repository (see ``configs/rt_panonet/README.md``).
"""
import copy
import json
import math
import os.path as osp

import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.structures import InstanceData, PixelData

from mmpanoptic.engine.load import CheckpointMismatchError, load_weights
from mmpanoptic.errors import ConfigError
from mmpanoptic.models.checkpoint_adapters import ClassLayout, convert_rt_panoptic
from mmpanoptic.models.heads import RTPanoOutputs
from mmpanoptic.models.losses import ExplicitMaskLoss
from mmpanoptic.models.post_processing import (QueryBoxes, box_correlation, dense_box_map,
                                               merge_instances_and_semantics, query_boxes, query_mask_scores)
from mmpanoptic.models.targets.dense_targets import ImageGT, location_targets
from mmpanoptic.registry import MODELS
from mmpanoptic.structures.panoptic_encoding import INSTANCE_OFFSET
from mmpanoptic.utils import register_all_modules

register_all_modules()
REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
BASE = osp.join(REPO, 'configs', '_base_', 'models', 'rt-panonet_r50_fpn.py')
SYNTHETIC = osp.join(REPO, 'configs', 'rt_panonet', 'rt-panonet_r18-tiny_fpn_synthetic-shapes.py')
LAYOUT = osp.join(REPO, 'tests', 'data', 'official_layouts', 'rt_panonet_r50_cityscapes.json')


def _tiny_model(test_cfg=None, **head):
    cfg = Config.fromfile(SYNTHETIC)
    cfg.model.panoptic_head.update(head)
    cfg.model.test_cfg.update(test_cfg or {})
    torch.manual_seed(0)
    net = MODELS.build(cfg.model)
    net.init_weights()
    return net


def _sample(h, w, masks, labels, sem, batch_shape=None):
    masks = torch.as_tensor(masks, dtype=torch.uint8)
    bitmap = BitmapMasks(masks.numpy(), h, w)
    sample = DetDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w), scale_factor=(1.0, 1.0),
                                         batch_input_shape=batch_shape or (h, w)))
    sample.gt_instances = InstanceData(labels=torch.as_tensor(labels, dtype=torch.long), masks=bitmap,
                                       bboxes=bitmap.get_bboxes(HorizontalBoxes))
    sample.gt_sem_seg = PixelData(sem_seg=torch.as_tensor(sem, dtype=torch.uint8)[None])
    return sample


# ------------------------------------------------------------------------------------------------ shapes
def test_head_output_shapes_on_a_padded_input():
    """Per level (T, 4, 1) maps at the FPN strides (4..64 in the synthetic config, 8..128 in the paper's);
    semantics at the first level's size, levelness (L + 1 channels) at twice it."""
    model = _tiny_model().eval()
    x = torch.rand(2, 3, 256, 384)
    with torch.no_grad():
        flat = model._forward(x)
    assert len(flat) == 17  # 3 x 5 levels, semantics, levelness
    box_cls, box_reg, centerness, semantic, levelness = RTPanoOutputs.from_flat(flat, 5)
    for i, stride in enumerate((4, 8, 16, 32, 64)):
        size = (256 // stride, 384 // stride)
        assert box_cls[i].shape == (2, 4, *size) and box_reg[i].shape == (2, 4, *size)
        assert centerness[i].shape == (2, 1, *size)
        assert (box_reg[i] > 0).all()  # exp of the scaled regression
    assert semantic.shape == (2, 7, 64, 96) and levelness.shape == (2, 6, 128, 192)


def test_official_widths_and_init():
    """The R-50 head: 128-channel semantics tower with GN(16), 256-channel localisation tower with GN(32),
    640 / 1280 input channels of the global heads; N(0, 0.01) convs and the focal prior on the semantic conv."""
    cfg = Config.fromfile(BASE)
    head = MODELS.build(dict(cfg.model.panoptic_head, num_things_classes=8, num_stuff_classes=11,
                             test_cfg=cfg.model.test_cfg))
    head.init_weights()
    assert head.sem_tower[0].conv.weight.shape == (128, 256, 3, 3) and head.sem_tower[0].gn.num_groups == 16
    assert head.loc_tower[3].conv.weight.shape == (256, 256, 3, 3) and head.loc_tower[3].gn.num_groups == 32
    assert head.semantic_conv.weight.shape == (19, 640, 3, 3)
    assert head.levelness_conv.weight.shape == (6, 1280, 3, 3)
    assert head.box_cls_conv.weight.shape == (8, 128, 3, 3)
    prior = -math.log(99)
    assert torch.allclose(head.semantic_conv.bias, torch.full((19, ), prior))
    assert torch.equal(head.box_cls_conv.bias, torch.zeros(8))
    assert abs(float(head.loc_tower[0].conv.weight.std()) - 0.01) < 1e-3
    fcos_like = MODELS.build(dict(cfg.model.panoptic_head, num_things_classes=8, num_stuff_classes=11,
                                  test_cfg=cfg.model.test_cfg, prior_bias_on='box_cls'))
    fcos_like.init_weights()
    assert torch.allclose(fcos_like.box_cls_conv.bias, torch.full((8, ), prior))


def test_one_shared_tower_and_no_levelness_switches():
    model = _tiny_model(shared_tower=True, use_levelness=False)
    assert model.panoptic_head.sem_tower is None and model.panoptic_head.levelness_conv is None
    assert model.panoptic_head.box_cls_conv.in_channels == 32  # the localisation tower's width
    outs = RTPanoOutputs.from_flat(model._forward(torch.rand(1, 3, 128, 128)), 5)
    assert outs.levelness is None


# ------------------------------------------------------------------------------------- target assignment
def _two_instances():
    """A: an L-shaped mask in the box (0, 0, 20, 20); B: a 6x6 square in A's box, outside A's mask."""
    masks = torch.zeros(2, 32, 32, dtype=torch.bool)
    masks[0, :20, :20] = True
    masks[0, 10:20, 10:20] = False
    masks[1, 12:18, 12:18] = True
    boxes = torch.tensor([[0., 0., 20., 20.], [12., 12., 18., 18.]])
    valid = torch.ones(32, 32, dtype=torch.bool)
    return ImageGT(masks, boxes, torch.tensor([0, 1]), torch.zeros(32, 32, dtype=torch.bool), valid)


# (15, 15) in B's mask, level 0; (11, 11) in A's box but not in a mask, level 1; (5, 5) in A's mask at both
# levels: its largest distance (15 to A's right and bottom sides) fits only level 1's range.
POINTS = torch.tensor([[15., 15.], [11., 11.], [5., 5.], [5., 5.]])
POINT_LEVEL = torch.tensor([0, 1, 0, 1])
RANGES = torch.tensor([[-1., 8.], [8., 1e8]])


def test_mask_assignment_hand_made_case():
    t = location_targets(POINTS, RANGES, POINT_LEVEL, _two_instances(), num_things=2, assign='mask')
    assert t.labels.tolist() == [1, 2, 2, 0]  # B; background (in a box only); out of range; A
    assert t.instance.tolist() == [1, -1, -1, 0]
    assert t.distances[0].tolist() == [3., 3., 3., 3.] and t.distances[3].tolist() == [5., 5., 15., 15.]
    assert t.centerness[0] == 1.0 and abs(float(t.centerness[3]) - 1 / 3) < 1e-6  # sqrt(1/3 * 1/3)
    assert t.level.tolist() == [1, 0, 0, 2]


def test_box_assignment_hand_made_case():
    """Weakly supervised: inside a box is enough and the smallest box wins."""
    t = location_targets(POINTS, RANGES, POINT_LEVEL, _two_instances(), num_things=2, assign='box')
    assert t.labels.tolist() == [1, 0, 2, 0]
    assert t.instance.tolist() == [1, 0, -1, 0]
    assert t.distances[1].tolist() == [11., 11., 9., 9.]


def test_crowd_and_padding_locations_are_ignored():
    gt = _two_instances()
    crowd = torch.zeros(32, 32, dtype=torch.bool)
    crowd[25:, 25:] = True
    valid = torch.ones(32, 32, dtype=torch.bool)
    valid[:, 30:] = False
    gt = gt._replace(crowd=crowd, valid=valid)
    points = torch.tensor([[27., 27.], [31., 5.], [24., 24.]])
    t = location_targets(points, RANGES, torch.tensor([0, 0, 0]), gt, num_things=2)
    assert t.labels.tolist() == [-1, -1, 2]  # crowd, padding, background


def test_levelness_target_from_the_head_loss_inputs():
    """The /4 levelness map: each pixel's level by the size rule (1..L), 0 background."""
    gt = _two_instances()
    grid = torch.tensor([[2., 2.], [14., 14.], [26., 26.]])
    t = location_targets(grid, RANGES, torch.full((3, ), -1), gt, num_things=2)
    # (2, 2) in A: distances (2, 2, 18, 18) -> level 2; (14, 14) in B: max 4 -> level 1; (26, 26): none.
    assert t.level.tolist() == [2, 1, 0]


# ------------------------------------------------------------------------------------- mask construction
def test_box_correlations_hand_computed():
    """Query (0, 0, 4, 4) against an identical box, a shifted one and a disjoint one."""
    query = torch.tensor([[0., 0., 4., 4.]])
    dense = torch.tensor([[0., 0., 4., 4.], [2., 2., 6., 6.], [10., 10., 12., 12.]])
    iou = box_correlation(query, dense, 'iou')[0]
    assert torch.allclose(iou, torch.tensor([1.0, 4 / 28, 0.0]))
    giou = box_correlation(query, dense, 'smoothed_giou')[0]
    # (I + 1) / (U + 1) - (C - U) / C with C the enclosing area + 1e-7
    expected = torch.tensor([17 / 17 - 0.0, 5 / 29 - (36 - 28) / 36, 1 / 21 - (144 - 20) / 144])
    assert torch.allclose(giou, expected, atol=1e-6)


def test_mask_scores_and_thresholds_for_both_variants():
    """M = corr * P_sem(label); the paper thresholds at 0.3 (IoU), the released code at 0.4 (smoothed GIoU)."""
    queries = QueryBoxes(torch.tensor([[0., 0., 4., 4.]]), torch.tensor([0.9]), torch.tensor([1]), torch.tensor([0]))
    dense = torch.tensor([[0., 0., 4., 4.], [0., 0., 4., 3.], [2., 2., 6., 6.], [10., 10., 12., 12.]])
    sem = torch.tensor([[0.1, 0.1, 0.1, 0.1], [0.8, 0.5, 0.9, 0.9]]).view(2, 2, 2)
    iou = query_mask_scores(queries, dense, sem, 'iou')
    assert torch.allclose(iou.flatten(), torch.tensor([0.8, 0.75 * 0.5, 4 / 28 * 0.9, 0.0]))
    assert (iou.flatten() > 0.3).tolist() == [True, True, False, False]
    giou = query_mask_scores(queries, dense, sem, 'smoothed_giou')
    assert (giou.flatten() >= 0.4).tolist() == [True, False, False, False]
    assert giou.flatten()[3] < 0  # the enclosure term makes far boxes negative


def test_dense_box_map_takes_the_levelness_argmax_and_ignores_background():
    """Level 1's distances where its levelness wins, even where background (channel 0) is larger."""
    reg = [torch.full((1, 4, 2, 2), 1.0), torch.full((1, 4, 1, 1), 3.0)]
    levelness = torch.zeros(1, 3, 4, 4)
    levelness[0, 0] = 10.0  # background: never chosen
    levelness[0, 2, :2, :2] = 1.0  # level 2 (index 1) in the top-left quarter
    boxes = dense_box_map(reg, levelness, (4, 4), stride=4)
    assert boxes.shape == (1, 16, 4)
    assert boxes[0, 0].tolist() == [2 - 3., 2 - 3., 2 + 3., 2 + 3.]  # pixel (0, 0) centre (2, 2), level 2
    assert boxes[0, 15].tolist() == [14 - 1., 14 - 1., 14 + 1., 14 + 1.]  # level 1
    all_levels = dense_box_map(reg, None, (4, 4), stride=4)
    assert all_levels.shape == (1, 2, 16, 4)


def test_query_boxes_threshold_before_centerness_nms_and_ties():
    """Candidates need p > score_thr before the centerness product; same-box duplicates are suppressed;
    the last kept score's ties are kept beyond max_per_img; boxes are clipped to the image."""
    logits = torch.full((2, 2, 2), -10.0)  # (C, h, w) at stride 8
    logits[0, 0, 0] = logits[0, 0, 1] = 0.0  # p = 0.5, two locations of class 0
    logits[1, 1, 1] = -3.0  # p = 0.047: below 0.05, whatever its centerness
    reg = torch.full((4, 2, 2), 4.0)
    reg[:, 0, 1] = 100.0  # location (0, 1) at x = 12: a box clipped to the 16 x 16 image
    ctr = torch.full((1, 2, 2), 10.0)
    q = query_boxes([logits], [reg], [ctr], [8], (16, 16), max_per_img=1)
    assert q.labels.tolist() == [0, 0]  # equal scores: the tie with the first kept one stays
    assert torch.allclose(q.scores, torch.full((2, ), 0.5 * torch.sigmoid(torch.tensor(10.0))))
    assert sorted(q.boxes.tolist()) == [[0., 0., 8., 8.], [0., 0., 15., 15.]]
    reg[:, 0, 1] = 4.0
    logits[0, 0, 1] = -10.0
    logits[0, 1, 0] = 0.0  # a second box of class 0 that overlaps the first by IoU 0
    q = query_boxes([logits], [reg], [ctr], [8], (16, 16))
    assert q.locations.tolist() == [0, 2] or q.locations.tolist() == [2, 0]


# ------------------------------------------------------------------------------------------------ losses
def test_explicit_mask_loss_hand_computed():
    """beta / N * (E_FP + E_FN) = 0.8 / 2 * ((0 + 0.25) + (0 + 0.5))."""
    corr = torch.tensor([[1.0, 0.5, 0.0, 0.25]])
    gt = torch.tensor([[True, True, False, False]])
    loss = ExplicitMaskLoss()(corr, gt, torch.tensor([0.8]), torch.ones(4, dtype=torch.bool))
    assert abs(float(loss) - 0.3) < 1e-6
    # an invalid (padding) pixel counts in neither sum nor in the area
    loss = ExplicitMaskLoss()(corr, gt, torch.tensor([0.8]), torch.tensor([True, False, True, True]))
    assert abs(float(loss) - 0.8 * 0.25 / 1) < 1e-6


def test_losses_are_finite_without_things_and_mask_loss_switches():
    model = _tiny_model()
    sem = torch.full((128, 128), 5)
    sample = _sample(128, 128, torch.zeros(0, 128, 128), [], sem)
    losses = model.loss(torch.rand(1, 3, 128, 128), [sample])
    assert set(losses) == {'loss_box_cls', 'loss_box_reg', 'loss_centerness', 'loss_levelness', 'loss_semantic',
                           'loss_mask'}
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    weak = _tiny_model(assign='box', loss_mask=None)
    assert 'loss_mask' not in weak.loss(torch.rand(1, 3, 128, 128), [sample])
    no_levelness = _tiny_model(use_levelness=False)
    masks = torch.zeros(1, 128, 128)
    masks[0, 20:60, 30:70] = 1
    sem = sem.clone()
    sem[20:60, 30:70] = 0
    losses = no_levelness.loss(torch.rand(1, 3, 128, 128), [_sample(128, 128, masks, [0], sem)])
    assert 'loss_levelness' not in losses and torch.isfinite(losses['loss_mask']) and losses['loss_mask'] > 0


@pytest.mark.parametrize('queries', ['nms', 'gt'])
def test_mask_loss_gradient_reaches_the_box_regression(queries):
    model = _tiny_model(mask_loss_queries=queries)
    masks = torch.zeros(1, 128, 128)
    masks[0, 20:60, 30:70] = 1
    sem = torch.full((128, 128), 5)
    sem[20:60, 30:70] = 0
    losses = model.loss(torch.rand(1, 3, 128, 128), [_sample(128, 128, masks, [0], sem)])
    losses['loss_mask'].backward()
    assert float(losses['loss_mask']) > 0
    assert model.panoptic_head.box_reg_conv.weight.grad.abs().sum() > 0


# ------------------------------------------------------------------------------------------------ fusion
def test_fusion_hand_crafted_case():
    """A (0.9) is pasted; B (0.8) is 60 % under A: dropped; C (0.7) is 20 % under A: pasted on its free
    pixels; stuff 4 (5 free pixels) is kept, stuff 5 (3 pixels) is below the area limit; a free pixel the
    semantics call a thing stays void."""
    h, w = 1, 20
    masks = torch.zeros(3, h, w, dtype=torch.bool)
    masks[0, 0, 0:5] = True  # A
    masks[1, 0, 2:7] = True  # B: 3 of 5 under A
    masks[2, 0, 4:9] = True  # C: 1 of 5 under A
    semantic = torch.tensor([[0] * 9 + [4] * 5 + [5] * 3 + [1] + [4] * 2])
    merged = merge_instances_and_semantics(masks, torch.tensor([0.9, 0.8, 0.7]), torch.tensor([0, 1, 2]), semantic,
                                           num_things=3, num_classes=6, overlap_thr=0.5, stuff_area_thr=4)
    pan = merged.panoptic[0].tolist()
    a, c = 0 + 1 * INSTANCE_OFFSET, 2 + 2 * INSTANCE_OFFSET
    assert pan[:9] == [a] * 5 + [c] * 4
    assert pan[9:14] == [4] * 5 and pan[14:17] == [6] * 3 and pan[17] == 6 and pan[18:] == [4, 4]
    assert merged.codes.tolist() == [a, 6, c]


def test_no_detection_gives_an_all_stuff_output_and_cpu_inference_needs_no_cuda(monkeypatch):
    """No candidate above the threshold: the panoptic map is the semantic stuff; nothing calls CUDA."""
    def no_cuda(*args, **kwargs):
        raise AssertionError('CUDA was called during CPU inference')

    monkeypatch.setattr(torch.cuda, 'synchronize', no_cuda)
    model = _tiny_model(test_cfg=dict(score_thr=1.0, stuff_area_thr=0, mask_score='smoothed_giou', mask_thr=0.4))
    model.eval()
    sample = DetDataSample(metainfo=dict(img_shape=(100, 120), ori_shape=(100, 120), scale_factor=(1.0, 1.0),
                                         batch_input_shape=(128, 128)))
    with torch.no_grad():
        result = model.predict(torch.rand(1, 3, 128, 128), [sample])[0]
    pan = result.pred_panoptic_seg.sem_seg
    assert pan.shape == (1, 100, 120)  # padded to 128 and cropped back
    assert len(result.pred_instances) == 0
    labels = pan % INSTANCE_OFFSET
    stuff = result.pred_sem_seg.sem_seg >= 4
    assert torch.equal(labels[stuff], result.pred_sem_seg.sem_seg[stuff]) and (pan < INSTANCE_OFFSET).all()


def test_instance_masks_output_and_rescale():
    model = _tiny_model(test_cfg=dict(score_thr=0.0, instance_score_thr=0.0, instance_masks=True, stuff_area_thr=0))
    model.eval()
    sample = DetDataSample(metainfo=dict(img_shape=(128, 100), ori_shape=(64, 50), scale_factor=(2.0, 2.0),
                                         batch_input_shape=(128, 128)))
    with torch.no_grad():
        result = model.predict(torch.rand(1, 3, 128, 128), [sample])[0]
    inst = result.pred_instances
    assert len(inst) > 0 and inst.masks.shape == (len(inst), 64, 50) and inst.masks.dtype == torch.bool
    assert float(inst.bboxes[:, 2].max()) <= 50 and result.pred_panoptic_seg.sem_seg.shape == (1, 64, 50)


# ------------------------------------------------------------------------------------ official checkpoint
def _official_layout():
    with open(LAYOUT) as f:
        return json.load(f)


def test_official_layout_converts_onto_every_key_of_the_r50_model():
    layout = _official_layout()
    official = {k: torch.zeros(s) for k, s in layout['keys'].items()}
    converted = convert_rt_panoptic(official, ClassLayout(8, 11))
    cfg = Config.fromfile(BASE)
    cfg.model.backbone.init_cfg = None
    own = MODELS.build(cfg.model).state_dict()
    own = {k: v for k, v in own.items() if not k.endswith('num_batches_tracked')}
    assert set(converted) == set(own)
    assert all(tuple(converted[k].shape) == tuple(own[k].shape) for k in own)


def test_official_semantic_rows_move_to_things_first():
    """Official rows follow the Cityscapes trainIds (11 stuff, then 8 things)."""
    layout = _official_layout()
    official = {k: torch.zeros(s) for k, s in layout['keys'].items()}
    official['panoptic_head.cls_logits.bias'] = torch.arange(19.0)
    converted = convert_rt_panoptic(official, ClassLayout(8, 11))
    assert converted['panoptic_head.semantic_conv.bias'].tolist() == list(range(11, 19)) + list(range(11))


def test_official_layout_loads_strictly_through_the_tool_loader(tmp_path):
    layout = _official_layout()
    torch.manual_seed(0)
    official = {k: torch.randn(s) if s else torch.randn(()) for k, s in layout['keys'].items()}
    path = tmp_path / 'cvpr_realtime_pano_cityscapes_standalone_no_prefix.pth'
    torch.save(official, path)  # a plain state dict, no wrapper
    cfg = Config.fromfile(BASE)
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    load_weights(model, str(path), strict=True)
    assert torch.equal(model.panoptic_head.loc_tower[2].gn.weight, official['panoptic_head.bbox_tower.7.weight'])
    assert torch.equal(model.neck.fpn_convs[4].conv.weight, official['backbone.fpn.extra_blocks.p7.weight'])
    assert float(model.panoptic_head.scales[3].scale) == float(official['panoptic_head.scales.3.scale'])
    short = dict(official)
    short.pop('panoptic_head.levelness.weight')
    torch.save(short, tmp_path / 'short.pth')
    with pytest.raises(CheckpointMismatchError, match='short.pth: does not fit .*levelness_conv.weight'):
        load_weights(model, str(tmp_path / 'short.pth'), strict=True)


def test_released_input_normalisation_and_padding():
    """Caffe-style BGR: the released code's RGB [0, 1] -> BGR x 255 - means, std 1; padding to 128."""
    cfg = Config.fromfile(BASE)
    pre = MODELS.build(cfg.model.data_preprocessor)
    bgr = torch.randint(0, 255, (3, 100, 130), dtype=torch.uint8)
    out = pre(dict(inputs=[bgr], data_samples=[DetDataSample(metainfo=dict(img_shape=(100, 130)))]), False)
    assert out['inputs'].shape == (1, 3, 128, 256)
    means = torch.tensor([102.9801, 115.9465, 122.7717]).view(3, 1, 1)
    assert torch.allclose(out['inputs'][0, :, :100, :130], bgr.float() - means)


@pytest.mark.parametrize('head, test_cfg, message', [
    (dict(assign='masks'), {}, "model.panoptic_head.assign: 'masks' is not one of ('mask', 'box') (choose one of them)"),
    (dict(mask_loss_queries='all'), {}, "model.panoptic_head.mask_loss_queries: 'all' is not one of ('nms', 'gt')"),
    ({}, dict(mask_score='giou'), "model.test_cfg.mask_score: 'giou' is not one of ('iou', 'smoothed_giou')"),
    (dict(regress_ranges=((-1, 64), (64, 1e8))), {}, 'model.panoptic_head.regress_ranges: 2 ranges for 5 strides'),
])
def test_bad_settings_are_refused_in_one_line_naming_the_key(head, test_cfg, message):
    with pytest.raises(ConfigError) as exc:
        _tiny_model(test_cfg=test_cfg, **head)
    assert str(exc.value).startswith(message)


def test_neck_and_head_level_counts_must_agree():
    cfg = Config.fromfile(SYNTHETIC)
    cfg.model.neck.num_outs = 4
    with pytest.raises(ConfigError, match=r'model.neck.num_outs: 4 levels, but model.panoptic_head.strides has 5'):
        MODELS.build(cfg.model)


def test_inputs_must_be_padded_to_the_largest_stride():
    cfg = Config.fromfile(BASE)
    cfg.model.backbone.init_cfg = None
    cfg.model.data_preprocessor.pad_size_divisor = 32
    with pytest.raises(ConfigError, match=r'model.data_preprocessor.pad_size_divisor: 32 is not a multiple of the '
                       r'largest stride 128'):
        MODELS.build(cfg.model)


def test_a_copy_of_the_config_is_not_mutated_by_building():
    cfg = Config.fromfile(SYNTHETIC)
    before = copy.deepcopy(cfg.model.to_dict())
    MODELS.build(cfg.model)
    assert cfg.model.to_dict() == before
