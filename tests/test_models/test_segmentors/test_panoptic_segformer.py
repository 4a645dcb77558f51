"""Panoptic SegFormer: the mask-from-attention construction, the mask decoders, query filtering, the
released mask-wise merge through the fusion head, padded batches and the official checkpoint layout.

The hand-computed expectations restate the official definitions (``easymd/models/panformer``); the
official modules themselves were compared next to ours outside the repository (see the family README).
"""
import copy
import json
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.structures import InstanceData, PixelData

from mmpanoptic.engine.load import CheckpointMismatchError, load_weights
from mmpanoptic.models.checkpoint_adapters.panoptic_segformer import DROPPED_PREFIXES, legacy_renamed
from mmpanoptic.models.layers.attention_mask_decoder import AttentionLogitMask, AttentionMaskDecoder
from mmpanoptic.models.task_modules.query_filter_assigner import QueryFilterAssigner, SquaredDiceCost
from mmpanoptic.registry import MODELS
from mmpanoptic.structures.panoptic_encoding import INSTANCE_OFFSET
from mmpanoptic.utils import register_all_modules

register_all_modules()
REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
BASE = osp.join(REPO, 'configs', '_base_', 'models', 'panoptic_segformer_r50.py')
SYNTHETIC = osp.join(REPO, 'configs', 'panoptic_segformer', 'panoptic-segformer_r18-tiny_synthetic-shapes.py')
LAYOUT = osp.join(REPO, 'tests', 'data', 'official_layouts', 'panoptic_segformer_r50_coco.json')
SHAPES = [(4, 6), (2, 3), (1, 2)]  # /8, /16, /32 token grids


def _tiny_model(**model):
    cfg = Config.fromfile(SYNTHETIC)
    cfg.model.update(model)
    torch.manual_seed(0)
    net = MODELS.build(cfg.model)
    net.init_weights()
    return net


# ------------------------------------------------------------------------------------------ mask decoder
def test_attention_logit_mask_hand_computed():
    """Per-level Linear(h, h) + ReLU, coarse levels upsampled bilinearly to the finest, Linear(3h, 1) + ReLU."""
    heads = 2
    mask = AttentionLogitMask(heads, num_levels=3)
    with torch.no_grad():
        for fc in mask.level_fcs:
            fc[0].weight.copy_(torch.eye(heads))
            fc[0].bias.zero_()
        # final mask = relu(level0 head0 + level1 head1 + 2 * level2 head0 - 1)
        mask.fuse_fc[0].weight.copy_(torch.tensor([[1., 0., 0., 1., 2., 0.]]))
        mask.fuse_fc[0].bias.fill_(-1.)
    level0 = torch.tensor([[1., 2.], [3., 4.]])  # head 0 at /8 (2x2)
    level1, level2 = 0.5, 0.25  # head 1 at /16, head 0 at /32, both 1x1: constant after upsampling
    logits = torch.zeros(1, heads, 1, 6)  # (B, h, N, L) with L = 4 + 1 + 1
    logits[0, 0, 0, :4] = level0.flatten()
    logits[0, 1, 0, 4] = level1
    logits[0, 0, 0, 5] = level2
    logits[0, 1, 0, :4] = -5.  # negative: removed by the level's ReLU
    out = mask(logits, [(2, 2), (1, 1), (1, 1)])
    expected = (level0 + level1 + 2 * level2 - 1).clamp(min=0)
    assert out.shape == (1, 1, 2, 2)
    torch.testing.assert_close(out[0, 0], expected)


@pytest.mark.parametrize('with_self_attn,num_layers', [(False, 4), (True, 6)])
@pytest.mark.parametrize('num_queries', [0, 5])
def test_mask_decoder_shapes(with_self_attn, num_layers, num_queries):
    decoder = AttentionMaskDecoder(embed_dims=32, num_heads=4, num_layers=num_layers, feedforward_channels=64,
                                   with_self_attn=with_self_attn)
    decoder.init_weights()
    length = sum(h * w for h, w in SHAPES)
    query, memory = torch.randn(2, num_queries, 32), torch.randn(2, length, 32)
    masks, layer_masks, layer_queries = decoder(query, memory, SHAPES, torch.randn(2, num_queries, 32))
    assert masks.shape == (2, num_queries, 4, 6) and (masks >= 0).all()
    assert len(layer_masks) == len(layer_queries) == num_layers
    assert all(m.shape == (2, num_queries, 4, 6) for m in layer_masks)
    assert all(q.shape == (2, num_queries, 32) for q in layer_queries)


def test_padded_tokens_do_not_change_the_attended_queries():
    """With the key-padding mask, tokens appended as padding change no query (only the mask values of the
    padded cells, which the fusion head crops away)."""
    torch.manual_seed(0)
    decoder = AttentionMaskDecoder(embed_dims=32, num_heads=4, num_layers=2, feedforward_channels=64)
    decoder.init_weights()
    small, padded = [(2, 3), (1, 2), (1, 1)], [(2, 4), (1, 2), (1, 1)]
    grid = torch.randn(1, 2, 3, 32)
    tokens = torch.cat([grid.flatten(1, 2), torch.randn(1, 3, 32)], 1)
    pad_grid = torch.cat([grid, torch.randn(1, 2, 1, 32)], 2)  # one padded column at /8
    pad_tokens = torch.cat([pad_grid.flatten(1, 2), tokens[:, 6:]], 1)
    pad_mask = torch.zeros(1, pad_tokens.shape[1], dtype=torch.bool)
    pad_mask[0, torch.tensor([3, 7])] = True
    query = torch.randn(1, 3, 32)
    _, _, queries = decoder(query, tokens, small)
    _, _, pad_queries = decoder(query, pad_tokens, padded, key_padding_mask=pad_mask)
    for a, b in zip(queries, pad_queries):
        torch.testing.assert_close(a, b)


# ------------------------------------------------------------------------------------------ filtering
class _FixedCost:
    def __init__(self, cost):
        self.cost = cost

    def __call__(self, pred_instances, gt_instances, img_meta):
        return self.cost


def _filter(cost, stop_rule):
    assigner = QueryFilterAssigner(match_costs=[dict(type='FocalLossCost', weight=2.0)], stop_rule=stop_rule)
    assigner.match_costs = [_FixedCost(cost)]
    num_queries, num_gts = cost.shape
    pred = InstanceData(scores=torch.zeros(num_queries, 3), bboxes=torch.zeros(num_queries, 4))
    gt = InstanceData(labels=torch.arange(num_gts) % 3, bboxes=torch.zeros(num_gts, 4))
    return assigner.filter(pred, gt, dict(img_shape=(10, 10)))


# 7 queries, 2 things: round 1 takes queries 1 (gt 0) and 4 (gt 1), round 2 queries 0 and 5, round 3 2 and 6.
CRAFTED = torch.tensor([[0.2, 9.], [0.1, 9.], [0.3, 9.], [9., 8.], [9., 0.1], [9., 0.2], [9., 0.3]])


def test_query_filter_official_stops_after_the_first_round():
    index, first = _filter(CRAFTED, 'official')
    assert index.tolist() == [1, 4]
    assert first.gt_inds.tolist() == [0, 2 - 1, 0, 0, 2, 0, 0] and first.labels[1] == 0 and first.labels[4] == 1


def test_query_filter_exhausted_runs_min_of_3_and_queries_per_gt_rounds():
    index, first = _filter(CRAFTED, 'exhausted')  # 7 // 2 = 3 rounds
    assert index.tolist() == [0, 1, 2, 4, 5, 6]
    assert (first.gt_inds > 0).nonzero().flatten().tolist() == [1, 4]  # the one-to-one losses use round 1
    index, _ = _filter(CRAFTED[:5], 'exhausted')  # 5 // 2 = 2 rounds: round 2 takes queries 0 and 3
    assert index.tolist() == [0, 1, 3, 4]


def test_query_filter_more_things_than_queries_matches_every_query_once():
    cost = torch.rand(4, 9, generator=torch.Generator().manual_seed(0))  # the official 300 // num_gt = 0
    for rule in ('official', 'exhausted'):
        index, first = _filter(cost, rule)
        assert index.tolist() == [0, 1, 2, 3] and int((first.gt_inds > 0).sum()) == 4


def test_query_filter_without_things():
    index, first = _filter(torch.zeros(5, 0), 'official')
    assert index.numel() == 0 and (first.gt_inds == 0).all()


def test_squared_dice_cost_formula():
    pred = torch.tensor([[[1., 0.5], [0., 2.]]])
    gt = torch.tensor([[[1., 1.], [0., 0.]], [[0., 0.], [1., 1.]]])
    cost = SquaredDiceCost(weight=2.0)(InstanceData(masks=pred), InstanceData(masks=gt))
    inter = torch.tensor([1.5, 2.0])
    expected = 2.0 * (1 - 2 * inter / ((1 + 0.25 + 4 + 1e-3) + (2 + 1e-3)))
    torch.testing.assert_close(cost[0], expected)


# ------------------------------------------------------------------------------------------ merge
def _fusion(**test_cfg):
    cfg = Config.fromfile(BASE)
    head_cfg = dict(type='MaskClassificationFusionHead', num_things_classes=2, num_stuff_classes=2,
                    test_cfg=dict(cfg.model.test_cfg, **test_cfg))
    return MODELS.build(head_cfg)


def test_released_merge_hand_worked_case():
    """Scores times q^2 (q: mean raw value inside the mask, area + 1) order the candidates; each accepted
    mask paints only free pixels; a thing more than 40% painted and a stuff mask more than 20% painted are
    rejected; a candidate below the quality threshold is dropped even on free pixels."""
    head = _fusion(mask_stride=1)  # masks given at the image size
    masks = torch.zeros(7, 4, 4)
    masks[0, :2, :2] = 1.0                              # A thing: 0.9 * (4/5)^2 = 0.576; 2/4 under B
    masks[1, :2, 1:3] = 2.0                             # B thing: 0.95 * (8/5)^2 = 2.43, painted first
    masks[2, 2:, :] = 0.95                              # C stuff: 0.9 * (7.6/9)^2 = 0.642; 1/8 under F
    masks[3, 1:, 3] = 1.0                               # D stuff: 0.45; 3/3 painted -> rejected
    masks[4, 3, :2] = 1.0                               # E thing: 0.44; 2/2 under C -> rejected
    masks[5, 0, 2:] = 1.2                               # F thing: 0.9 * 0.96^2 = 0.83; 1/4 under B: kept
    masks[5, 1:3, 3] = 1.2
    masks[6, :2, 0] = 1.0                               # G thing: 0.3 * (2/3)^2 = 0.13 < 0.25 -> dropped
    scores = torch.tensor([0.9, 0.95, 0.9, 0.8, 0.99, 0.9, 0.3])
    labels = torch.tensor([0, 1, 2, 3, 0, 0, 1])
    meta = dict(img_shape=(4, 4), ori_shape=(4, 4), batch_input_shape=(4, 4))
    pan, queries, _ = head.panoptic_from_scores(scores, labels, torch.ones(7, dtype=torch.bool), masks, meta,
                                                rescale=True)
    b, f, c, void = 1 + 1 * INSTANCE_OFFSET, 0 + 2 * INSTANCE_OFFSET, 2, 4
    expected = torch.tensor([[void, b, b, f], [void, b, b, f], [c, c, c, f], [c, c, c, c]])
    torch.testing.assert_close(pan, expected)
    assert sorted(queries.tolist()) == [1, 2, 5]


def test_crop_direct_gives_a_padded_image_the_grid_it_has_alone():
    head = _fusion()
    torch.manual_seed(0)
    alone = torch.rand(6, 5, 8) * 1.2  # masks of a 33x57 image at stride 8 (ceil: 5x8 cells)
    padded = torch.cat([torch.cat([alone, torch.rand(6, 5, 3) * 5], 2), torch.rand(6, 1, 11) * 5], 1)
    scores, labels = torch.rand(6) * 0.5 + 0.5, torch.tensor([0, 0, 1, 1, 2, 3])
    objects = torch.ones(6, dtype=torch.bool)
    meta = dict(img_shape=(33, 57), ori_shape=(66, 114), batch_input_shape=(33, 57))
    ref = head.panoptic_from_scores(scores, labels, objects, alone, meta, True)[0]
    out = head.panoptic_from_scores(scores, labels, objects, padded, dict(meta, batch_input_shape=(41, 81)),
                                    True)[0]  # padded to 41x81 in a batch: 6x11 cells
    torch.testing.assert_close(out, ref)


# ------------------------------------------------------------------------------------------ model
def _sample(h, w, num_things=2, seed=0):
    gen = torch.Generator().manual_seed(seed)
    sem = torch.full((1, h, w), 4, dtype=torch.uint8)
    sem[:, h // 2:] = 6
    masks = torch.zeros((num_things, h, w), dtype=torch.uint8)
    for k in range(num_things):
        y, x = int(torch.randint(0, h - 4, (1, ), generator=gen)), int(torch.randint(0, w - 4, (1, ), generator=gen))
        masks[k, y:y + 4, x:x + 4] = 1
        sem[0][masks[k].bool()] = k % 4
    bitmap = BitmapMasks(masks.numpy(), h, w)
    sample = DetDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w), scale_factor=(1.0, 1.0)))
    sample.gt_instances = InstanceData(labels=torch.arange(num_things) % 4, masks=bitmap,
                                       bboxes=bitmap.get_bboxes(HorizontalBoxes))
    sample.gt_sem_seg = PixelData(sem_seg=sem)
    return sample


def _data(model, sizes, training, **kwargs):
    gen = torch.Generator().manual_seed(1)
    data = dict(inputs=[torch.randint(0, 255, (3, h, w), dtype=torch.uint8, generator=gen) for h, w in sizes],
                data_samples=[_sample(h, w, seed=i, **kwargs) for i, (h, w) in enumerate(sizes)])
    return model.data_preprocessor(copy.deepcopy(data), training)


def test_losses_of_the_released_design():
    model = _tiny_model()
    model.train()
    data = _data(model, [(64, 64), (48, 64)], True)
    losses = model.loss(data['inputs'], data['data_samples'])
    expected = {'loss_cls', 'loss_bbox', 'loss_iou', 'loss_mask_things', 'loss_mask_stuff'}
    expected |= {f'd{i}.{k}' for i in range(2) for k in ('loss_cls', 'loss_bbox', 'loss_iou')}
    expected |= {f'd{j}.loss_mask_things_f' for j in range(2)}
    expected |= {f'd{j}.{k}' for j in range(2) for k in ('loss_mask_stuff_f', 'loss_cls_stuff_f')}
    assert set(losses) == expected
    assert all(torch.isfinite(v) and v > 0 for v in losses.values()), losses
    sum(losses.values()).backward()
    assert model.bbox_head.stuff_query.weight.grad.abs().sum() > 0
    assert model.bbox_head.things_mask_decoder.layers[0].cross_attn.q.weight.grad.abs().sum() > 0


def test_more_things_than_queries_and_no_things():
    model = _tiny_model()
    model.train()
    data = _data(model, [(64, 64)], True, num_things=40)  # 40 things, 30 queries
    losses = model.loss(data['inputs'], data['data_samples'])
    assert all(torch.isfinite(v) for v in losses.values())
    data = _data(model, [(64, 64)], True, num_things=0)
    losses = model.loss(data['inputs'], data['data_samples'])
    # the released check: no thing query reaches the mask decoder -> no presence loss
    assert all(float(losses[f'd{j}.loss_cls_stuff_f']) == 0 for j in range(2))
    assert float(losses['loss_mask_stuff']) > 0
    model.bbox_head.stuff_cls_needs_things = False
    losses = model.loss(data['inputs'], data['data_samples'])
    assert all(float(losses[f'd{j}.loss_cls_stuff_f']) > 0 for j in range(2))


def test_prediction_candidates_and_batched_padded_inference():
    model = _tiny_model()
    model.eval()
    with torch.no_grad():
        data = _data(model, [(64, 64)], False)
        scores, labels, masks = model.predict_candidates(data['inputs'], data['data_samples'])
        assert scores.shape == labels.shape == (1, 20 + 3) and masks.shape == (1, 23, 8, 8)
        assert labels[0, 20:].tolist() == [4, 5, 6] and (labels[0, :20] < 4).all()
        # Both heads see the same tokens: the padded batch changes only what the backbone sees at the border.
        alone = model.predict(data['inputs'], data['data_samples'])[0].pred_panoptic_seg.sem_seg
        batch = _data(model, [(64, 64), (64, 96)], False)
        assert tuple(batch['inputs'].shape[-2:]) == (64, 96)
        both = model.predict(batch['inputs'], batch['data_samples'])
    assert both[0].pred_panoptic_seg.sem_seg.shape == alone.shape == (1, 64, 64)
    assert both[1].pred_panoptic_seg.sem_seg.shape == (1, 64, 96)


# ------------------------------------------------------------------------------------------ checkpoints
def _official_state_dict():
    with open(LAYOUT) as f:
        layout = json.load(f)
    return layout, {k: torch.randn(s) if s else torch.tensor(0.) for k, s in layout['keys'].items()}


def _r50_model():
    cfg = Config.fromfile(BASE)
    cfg.model.backbone.init_cfg = None
    return MODELS.build(cfg.model)


@pytest.mark.parametrize('names', ['released', 'current'])
def test_official_layout_loads_strictly_through_the_tool_loader(tmp_path, names):
    layout, state = _official_state_dict()
    assert any('.mask_head.' in k for k in state) and any('.mask_head2.' in k for k in state)
    if names == 'current':
        state = {legacy_renamed(k): v for k, v in state.items()}
    path = str(tmp_path / 'psf_r50.pth')
    torch.save({layout['wrapper']: state}, path)
    model = _r50_model()
    load_weights(model, path, strict=True)
    own = model.state_dict()
    torch.testing.assert_close(own['query_embedding.weight'], state['bbox_head.query_embedding.weight'])
    torch.testing.assert_close(own['bbox_head.stuff_query.weight'], state['bbox_head.stuff_query.weight'])
    torch.testing.assert_close(own['level_embed'], state['bbox_head.transformer.level_embeds'])
    prefix = 'bbox_head.stuff_mask_head.' if names == 'current' else 'bbox_head.mask_head2.'
    torch.testing.assert_close(own['bbox_head.stuff_mask_decoder.layers.5.self_attn.in_proj_weight'],
                               state[prefix + 'blocks.5.self_attention.qkv.weight'])
    torch.testing.assert_close(own['bbox_head.things_mask_decoder.tail.mask.level_fcs.2.0.weight'],
                               state[('bbox_head.things_mask_head.' if names == 'current' else
                                      'bbox_head.mask_head.') + 'attnen.linear_l3.0.weight'])
    dropped = [k for k in map(legacy_renamed, state) if k.startswith(DROPPED_PREFIXES)]
    assert len(dropped) == 4 * 6 + 4 * 2  # reg_branches2 (3 linears) and cls_thing_branches, 4 each


def test_official_layout_of_another_dataset_or_with_a_missing_key_is_refused(tmp_path):
    layout, state = _official_state_dict()
    path = str(tmp_path / 'psf.pth')
    torch.save({layout['wrapper']: state}, path)
    cfg = Config.fromfile(BASE)
    cfg.model.update(backbone=dict(cfg.model.backbone, init_cfg=None), num_things_classes=8, num_stuff_classes=11)
    with pytest.raises(CheckpointMismatchError, match='80 thing classes'):
        load_weights(MODELS.build(cfg.model), path, strict=True)
    del state['bbox_head.transformer.level_embeds']
    torch.save({layout['wrapper']: state}, path)
    with pytest.raises(CheckpointMismatchError, match='level_embed'):
        load_weights(_r50_model(), path, strict=True)


# ------------------------------------------------------------------------------------------ paper v1
V1 = osp.join(REPO, 'configs', 'panoptic_segformer', 'panoptic-segformer-v1_r50_8xb1-50e_coco-panoptic.py')


def _algorithm_1(masks, scores, labels, num_things, void, thr=0.3):
    """The paper's Algorithm 1 with its typo fixed (masks fill the pixels still unassigned)."""
    pan = torch.full(masks.shape[-2:], void)
    assigned = torch.zeros(masks.shape[-2:], dtype=torch.bool)
    instance = 0
    for k in torch.argsort(scores, descending=True).tolist():
        if scores[k] < thr:
            continue
        m = (masks[k] > 0.5) & ~assigned
        if int(labels[k]) < num_things:
            instance += 1
            code = int(labels[k]) + instance * INSTANCE_OFFSET
        else:
            code = int(labels[k])
        pan[m] = code
        assigned |= masks[k] > 0.5
    return pan


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_v1_merge_is_algorithm_1(seed):
    cfg = Config.fromfile(V1)
    head = MODELS.build(dict(type='MaskClassificationFusionHead', num_things_classes=3, num_stuff_classes=2,
                             test_cfg=dict(cfg.model.test_cfg, mask_stride=1)))
    gen = torch.Generator().manual_seed(seed)
    masks = torch.rand(12, 9, 11, generator=gen) * 1.3
    scores, labels = torch.rand(12, generator=gen), torch.randint(0, 5, (12, ), generator=gen)
    meta = dict(img_shape=(9, 11), ori_shape=(9, 11), batch_input_shape=(9, 11))
    pan = head.panoptic_from_scores(scores, labels, torch.ones(12, dtype=torch.bool), masks, meta, True)[0]
    expected = _algorithm_1(masks, scores, labels, 3, 5)
    # instance ids may differ where a thing got no visible pixel: compare the partition and the labels
    assert torch.equal(pan % INSTANCE_OFFSET, expected % INSTANCE_OFFSET)
    pairs = set(zip(pan.flatten().tolist(), expected.flatten().tolist()))
    assert len(pairs) == len(pan.unique()) == len(expected.unique())


def test_v1_unified_queries_losses_and_prediction():
    cfg = Config.fromfile(V1)
    cfg.model.backbone.init_cfg = None
    synthetic = Config.fromfile(SYNTHETIC).model
    cfg.model.update(num_things_classes=4, num_stuff_classes=3, num_queries=16, backbone=synthetic.backbone,
                     neck=synthetic.neck, encoder=synthetic.encoder, decoder=synthetic.decoder,
                     positional_encoding=synthetic.positional_encoding)
    cfg.model.bbox_head.update(embed_dims=64, mask_decoder=dict(embed_dims=64, num_heads=4, num_layers=2,
                                                                feedforward_channels=128))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    data = _data(model, [(64, 64), (48, 64)], True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert set(losses) == {'loss_cls', 'loss_mask', 'd0.loss_mask', 'd1.loss_mask', 'loss_loc'}
    assert all(torch.isfinite(v) and v > 0 for v in losses.values()), losses
    sum(losses.values()).backward()
    assert model.bbox_head.loc_branch[-1].weight.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        scores, labels, masks = model.predict_candidates(data['inputs'], data['data_samples'])
    assert scores.shape == labels.shape == (2, 16) and masks.shape == (2, 16, 8, 8)
    assert int(labels.max()) < 7


def test_every_parameter_gets_a_gradient_without_things():
    """DDP without ``find_unused_parameters``: a batch without things still reaches every trainable weight."""
    model = _tiny_model()
    model.train()
    data = _data(model, [(64, 64)], True, num_things=0)
    sum(model.loss(data['inputs'], data['data_samples']).values()).backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, missing


# ------------------------------------------------------------------------------------------ PVTv2 / Swin checkpoints
BACKBONE_LAYOUTS = {
    'pvtv2-b5': ('panoptic-segformer_pvtv2-b5_8xb1-24e_coco-panoptic.py',
                 'panoptic_segformer_pvtv2-b5_coco_backbone.json'),
    'swin-l': ('panoptic-segformer_swin-l_8xb1-24e_coco-panoptic.py', 'panoptic_segformer_swin-l_coco_backbone.json'),
}
# The official tensors whose converted copies are checked get random values; the rest are zeros that share one
# element of storage (expanded), so the ~200M-parameter Swin-L file stays small.
CHECKED = {
    'pvtv2-b5': ('backbone.patch_embed1.proj.weight', 'backbone.block3.39.attn.q.weight',
                 'backbone.block3.39.attn.kv.weight', 'backbone.block3.39.attn.q.bias',
                 'backbone.block3.39.attn.kv.bias', 'backbone.block1.2.attn.sr.weight',
                 'backbone.block2.5.mlp.fc1.weight', 'backbone.block2.5.mlp.dwconv.dwconv.weight',
                 'backbone.block4.2.mlp.fc2.weight', 'backbone.norm4.weight', 'neck.convs.0.conv.weight',
                 'bbox_head.transformer.level_embeds'),
    'swin-l': ('backbone.patch_embed.proj.weight', 'backbone.layers.2.blocks.17.attn.qkv.weight',
               'backbone.layers.1.blocks.1.attn.relative_position_bias_table',
               'backbone.layers.1.blocks.0.mlp.fc1.weight', 'backbone.layers.3.blocks.1.mlp.fc2.bias',
               'backbone.layers.0.downsample.reduction.weight', 'backbone.layers.2.downsample.norm.weight',
               'backbone.norm3.weight', 'neck.convs.2.conv.weight', 'bbox_head.transformer.level_embeds'),
}


@pytest.mark.parametrize('backbone', list(BACKBONE_LAYOUTS))
def test_official_pvtv2_and_swin_backbones_load_strictly_through_the_tool_loader(tmp_path, backbone):
    """The official PVTv2-B5 / Swin-L files' backbone layout (with the R-50 file's head) through mmdet's
    ``pvt_convert`` / ``swin_converter`` into our configs' mmdet backbones."""
    config, fixture = BACKBONE_LAYOUTS[backbone]
    with open(osp.join(REPO, 'tests', 'data', 'official_layouts', fixture)) as f:
        layout = json.load(f)
    with open(LAYOUT) as f:
        keys = {k: s for k, s in json.load(f)['keys'].items() if not k.startswith(('backbone.', 'neck.'))}
    keys.update(layout['keys'])
    gen = torch.Generator().manual_seed(0)
    state = {k: torch.randn(s, generator=gen) if k in CHECKED[backbone] else torch.zeros(()).expand(s)
             for k, s in keys.items()}
    path = str(tmp_path / f'psf_{backbone}.pth')
    torch.save({layout['wrapper']: state}, path)
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'panoptic_segformer', config))
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    load_weights(model, path, strict=True)
    own = model.state_dict()
    torch.testing.assert_close(own['level_embed'], state['bbox_head.transformer.level_embeds'])
    if backbone == 'pvtv2-b5':
        pairs = {'backbone.layers.0.0.projection.weight': 'backbone.patch_embed1.proj.weight',
                 'backbone.layers.0.1.2.attn.sr.weight': 'backbone.block1.2.attn.sr.weight',
                 'backbone.layers.1.1.5.ffn.layers.1.weight': 'backbone.block2.5.mlp.dwconv.dwconv.weight',
                 'backbone.layers.3.2.weight': 'backbone.norm4.weight',
                 'neck.convs.0.conv.weight': 'neck.convs.0.conv.weight'}
        for name in ('weight', 'bias'):  # q and kv: one in_proj of nn.MultiheadAttention
            torch.testing.assert_close(own[f'backbone.layers.2.1.39.attn.attn.in_proj_{name}'],
                                       torch.cat([state[f'backbone.block3.39.attn.q.{name}'],
                                                  state[f'backbone.block3.39.attn.kv.{name}']]))
        # MLP linears are 1x1 convs in MixFFN
        torch.testing.assert_close(own['backbone.layers.1.1.5.ffn.layers.0.weight'],
                                   state['backbone.block2.5.mlp.fc1.weight'][..., None, None])
        torch.testing.assert_close(own['backbone.layers.3.1.2.ffn.layers.4.weight'],
                                   state['backbone.block4.2.mlp.fc2.weight'][..., None, None])
    else:
        pairs = {'backbone.patch_embed.projection.weight': 'backbone.patch_embed.proj.weight',
                 'backbone.stages.2.blocks.17.attn.w_msa.qkv.weight': 'backbone.layers.2.blocks.17.attn.qkv.weight',
                 'backbone.stages.1.blocks.1.attn.w_msa.relative_position_bias_table':
                 'backbone.layers.1.blocks.1.attn.relative_position_bias_table',
                 'backbone.stages.1.blocks.0.ffn.layers.0.0.weight': 'backbone.layers.1.blocks.0.mlp.fc1.weight',
                 'backbone.stages.3.blocks.1.ffn.layers.1.bias': 'backbone.layers.3.blocks.1.mlp.fc2.bias',
                 'backbone.norm3.weight': 'backbone.norm3.weight',
                 'neck.convs.2.conv.weight': 'neck.convs.2.conv.weight'}
        # Patch merging: the official concatenates the 2x2 neighbours x0 (0,0), x1 (1,0), x2 (0,1), x3 (1,1) as
        # channel blocks; mmdet's nn.Unfold gives channel-major columns over (0,0), (0,1), (1,0), (1,1).
        reduction = state['backbone.layers.0.downsample.reduction.weight']  # (2C, 4C), C = 192
        torch.testing.assert_close(own['backbone.stages.0.downsample.reduction.weight'].view(384, 192, 4),
                                   reduction.view(384, 4, 192)[:, [0, 2, 1, 3]].transpose(1, 2))
        norm = state['backbone.layers.2.downsample.norm.weight']  # (4C), C = 768
        torch.testing.assert_close(own['backbone.stages.2.downsample.norm.weight'].view(768, 4),
                                   norm.view(4, 768)[[0, 2, 1, 3]].t())
    for key, official in pairs.items():
        torch.testing.assert_close(own[key], state[official], msg=key)


def test_building_the_model_leaves_mmcv_attention_defaults_alone():
    """mmcv's MultiheadAttention writes its deprecated ``dropout`` argument into its mutable default
    ``dropout_layer``: a config using it would change every model built after it in the process (YOSO's
    losses changed after a Panoptic SegFormer model was built). The configs spell the dropout out."""
    import inspect

    from mmcv.cnn.bricks.transformer import MultiheadAttention
    default = inspect.signature(MultiheadAttention.__init__).parameters['dropout_layer'].default
    before = dict(default)
    for path in (BASE, SYNTHETIC, V1):
        cfg = Config.fromfile(path)
        cfg.model.backbone.init_cfg = None
        MODELS.build(cfg.model)
    assert default == before == dict(type='Dropout', drop_prob=0.)
