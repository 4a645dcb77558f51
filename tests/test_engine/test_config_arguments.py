"""The argument check of typed config dicts: no false alarm on any shipped config, typos found anywhere."""
import glob
import os.path as osp

import pytest

from mmpanoptic.cli import load_config
from mmpanoptic.engine.config_arguments import accepted_arguments, argument_problems
from mmpanoptic.utils import register_all_modules

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True) +
                 glob.glob(osp.join(REPO, 'projects', '*', 'configs', '*.py')) if '_base_' not in p)


@pytest.fixture(scope='module', autouse=True)
def registered():
    register_all_modules()


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_shipped_configs_have_no_unknown_arguments(path):
    assert argument_problems(load_config(path)) == []


def test_accepted_arguments_follow_kwargs_up_the_mro():
    from mmengine.hooks import CheckpointHook
    from mmengine.optim import LinearLR
    assert {'start_factor', 'end_factor', 'begin', 'end', 'by_epoch'} <= accepted_arguments(LinearLR)
    hook = accepted_arguments(CheckpointHook)
    assert 'interval' in hook and 'meta' in hook and 'intervel' not in hook  # **kwargs go to save_checkpoint
    assert accepted_arguments(lambda **kwargs: None) is None  # a function with **kwargs accepts anything


@pytest.mark.parametrize('option, expected', [
    ({'model.backbone.dpeth': 18}, 'model.backbone.dpeth: ResNet has no argument "dpeth" (did you mean "depth"?)'),
    ({'model.neck.norm_cfg.requires_grad': True}, None),  # consumed by mmcv's build_norm_layer
    ({'val_evaluator.nprocs': 2}, 'val_evaluator.nprocs: PanopticQualityMetric has no argument "nprocs" '
     '(did you mean "nproc"?)'),
    ({'optim_wrapper.paramwise_cfg.norm_decay_multt': 0.0},
     'optim_wrapper.paramwise_cfg.norm_decay_multt: DefaultOptimWrapperConstructor has no argument '
     '"norm_decay_multt" (did you mean "norm_decay_mult"?)'),
    ({'optim_wrapper.paramwise_cfg.custom_keys': {'backbone': dict(lr_mul=0.1)}},
     "optim_wrapper.paramwise_cfg.custom_keys['backbone'].lr_mul: DefaultOptimWrapperConstructor has no "
     'argument "lr_mul" (did you mean "lr_mult"?)'),
    ({'param_scheduler.0.ennd': 3}, 'param_scheduler[0].ennd: PolyLR has no argument "ennd" (did you mean "end"?)'),
    ({'train_dataloader.dataset.pipeline.0.to_float': True},
     'train_dataloader.dataset.pipeline[0].to_float: LoadImageFromFile has no argument "to_float" '
     '(did you mean "to_float32"?)'),
])
def test_typos_are_found_where_they_are(option, expected):
    cfg = load_config(osp.join(REPO, 'configs', 'yoso', 'yoso_r18-tiny_synthetic-shapes.py'), option)
    assert argument_problems(cfg) == ([expected] if expected else [])
