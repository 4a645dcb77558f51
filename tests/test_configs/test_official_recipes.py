"""Training recipes against the official configs (RT-K-Net's and YOSO's detectron2 yaml files), and the
optimizer parameter groups of every config."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmpanoptic.registry import MODELS
from mmpanoptic.utils import register_all_modules

register_all_modules()
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs/rtknet/rtknet_rtformer-b_4xb8-90k_cityscapes-panoptic.py')
MODEL_CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '*', '*.py')))
# Configs whose norm layers keep mmengine's rule (a custom-key match decays them), with the reason.
MMENGINE_NORM_RULE = {
    'yoso_r18-tiny_synthetic-shapes.py': 'its synthetic PQ target was measured with this rule',
}


def _warmup_poly(it, base=2e-4, warmup=1000, factor=0.001, max_iter=90000, power=0.9):
    """detectron2's WarmupPolyLR with linear warm-up, as the official config sets it."""
    alpha = min(it, warmup) / warmup
    return base * (factor * (1 - alpha) + alpha) * (1 - it / max_iter) ** power


def test_learning_rate_follows_detectron2_warmup_poly():
    cfg = Config.fromfile(CONFIG)
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=cfg.optim_wrapper.optimizer.lr)
    schedulers = [PARAM_SCHEDULERS.build(dict(s, optimizer=optimizer)) for s in cfg.param_scheduler]
    for it in range(3001):
        lr = optimizer.param_groups[0]['lr']
        # mmengine's chained LinearLR differs from detectron2's warm-up formula by < 0.1 % during warm-up
        assert abs(lr / _warmup_poly(it) - 1) < (1e-3 if it < 1000 else 1e-5), it
        optimizer.step()
        for scheduler in schedulers:
            scheduler.step()


def test_evaluation_and_checkpoint_period_are_official():
    cfg = Config.fromfile(CONFIG)
    assert cfg.train_cfg.val_interval == 5000
    assert cfg.default_hooks.checkpoint.interval == 5000


def _norm_decay_configs():
    out = []
    for path in MODEL_CONFIGS:
        cfg = Config.fromfile(path)
        if cfg.get('optim_wrapper', {}).get('paramwise_cfg', {}).get('norm_decay_mult') is not None:
            out.append(path)
    return out


@pytest.mark.parametrize('path', _norm_decay_configs(), ids=osp.basename)
def test_norm_decay_mult_reaches_every_norm_layer(path):
    """mmengine skips ``norm_decay_mult`` for parameters matched by ``custom_keys``; the official recipes
    (detectron2's WEIGHT_DECAY_NORM = 0) decay no norm layer, the backbone's included."""
    cfg = Config.fromfile(path)
    if cfg.model.get('backbone', {}).get('init_cfg'):
        cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    cfg.optim_wrapper.type = 'OptimWrapper'  # AMP needs a GPU; the parameter groups are the same
    cfg.optim_wrapper.pop('loss_scale', None)
    groups = build_optim_wrapper(model, cfg.optim_wrapper).optimizer.param_groups
    base = cfg.optim_wrapper.optimizer.weight_decay
    mult = cfg.optim_wrapper.paramwise_cfg.norm_decay_mult
    norms = {id(p) for m in model.modules() if isinstance(m, (_BatchNorm, nn.GroupNorm, nn.LayerNorm))
             for p in m.parameters(recurse=False)}
    decays = {id(p): g['weight_decay'] for g in groups for p in g['params']}
    norm_decays = {decays[i] for i in norms if i in decays}
    if osp.basename(path) in MMENGINE_NORM_RULE:
        assert norm_decays == {base * mult, base}
    else:
        assert norm_decays == {base * mult}, osp.basename(path)


@pytest.mark.parametrize('name', ['yoso_r50_4xb4-180k_cityscapes-panoptic', 'yoso_r50_4xb4-300k_mapillary-panoptic'])
def test_yoso_crops_uniformly(name):
    pipeline = Config.fromfile(osp.join(REPO, 'configs', 'yoso', f'{name}.py')).train_dataloader.dataset.pipeline
    crops = [t for t in pipeline if 'Crop' in t.type]
    assert [t.type for t in crops] == ['RandomCrop'] and crops[0].allow_negative_crop


@pytest.mark.parametrize('name', ['yoso/yoso_r50_4xb4-300k_mapillary-panoptic',
                                  'rtknet/rtknet_rtformer-b_8xb4-300k_mapillary-panoptic'])
def test_mapillary_training_sizes_are_the_official_sixteen(name):
    pipeline = Config.fromfile(osp.join(REPO, 'configs', f'{name}.py')).train_dataloader.dataset.pipeline
    resize = [t for t in pipeline if t.type == 'RandomChoiceResize'][0]
    assert [s for _, s in resize.scales] == [int(x * 0.1 * 2048) for x in range(5, 21)]
    assert len(resize.scales) == 16 and all(long == 8192 for long, _ in resize.scales)


def test_yoso_coco_trains_on_every_image():
    cfg = Config.fromfile(osp.join(REPO, 'configs/yoso/yoso_r50_4xb4-368k_coco-panoptic.py'))
    assert cfg.train_dataloader.dataset.filter_cfg is None


PSF = 'configs/panoptic_segformer/panoptic-segformer_{}-panoptic.py'


@pytest.mark.parametrize('name,epochs,step,quality', [('r50_8xb1-12e_coco', 12, 8, 0.25),
                                                      ('r50_8xb1-24e_coco', 24, 18, 0.25),
                                                      ('r101_8xb1-24e_coco', 24, 18, 0.25),
                                                      ('pvtv2-b5_8xb1-24e_coco', 24, 18, 0.3),
                                                      ('swin-l_8xb1-24e_coco', 24, 18, 0.3)])
def test_panoptic_segformer_recipe_is_the_released_one(name, epochs, step, quality):
    """Official configs/panformer/*.py: AdamW 1.4e-4, wd 1e-4, x0.1 on backbone / sampling offsets / reference
    points, clip 0.1, one step; 300 queries, 6 + 6 deformable layers, mask decoders of 4 and 6 layers,
    the R-50 / R-101 (0.25) and PVTv2-B5 / Swin-L (0.3) quality thresholds, overlap 0.4 / 0.2."""
    cfg = Config.fromfile(osp.join(REPO, PSF.format(name)))
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr, optimizer.weight_decay) == ('AdamW', 1.4e-4, 1e-4)
    assert cfg.optim_wrapper.clip_grad.max_norm == 0.1
    assert {k: v.lr_mult for k, v in cfg.optim_wrapper.paramwise_cfg.custom_keys.items()} == {
        'backbone': 0.1, 'sampling_offsets': 0.1, 'reference_points': 0.1}
    assert cfg.train_cfg.max_epochs == epochs
    assert [(s.type, s.milestones, s.gamma) for s in cfg.param_scheduler] == [('MultiStepLR', [step], 0.1)]
    assert cfg.train_dataloader.batch_size * 8 == cfg.auto_scale_lr.base_batch_size == 8
    model = cfg.model
    assert (model.num_queries, model.encoder.num_layers, model.decoder.num_layers) == (300, 6, 6)
    assert model.bbox_head.things_mask_decoder.num_layers == 4
    assert model.bbox_head.stuff_mask_decoder.num_layers == 6 and model.bbox_head.stuff_mask_decoder.with_self_attn
    test = model.test_cfg
    assert (test.score_thr, test.stuff_score_thr, test.overlap_thr, test.stuff_overlap_thr) == (
        quality, quality, 0.4, 0.2)
    assert model.train_cfg.filter_assigner.stop_rule == 'official'
    assert [c.weight for c in model.train_cfg.mask_assigner.match_costs] == [4.0, 5.0, 2.0, 2.0]
