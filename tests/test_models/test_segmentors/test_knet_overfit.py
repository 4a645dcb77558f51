"""K-Net and RT-K-Net overfit a small synthetic shapes dataset (slow: a few minutes each on 2 CPU cores).

Each test generates 16 training pictures, trains the synthetic config (128x128 inputs) for 200 iterations
with one torch thread and evaluates the panoptic quality on the same pictures (an overfitting check of the
whole pipeline: data, assignment, losses, post-processing and metric). PQ measured on this machine:
K-Net 59.9, RT-K-Net 48.5 (the asserted minimums leave a margin for numeric differences between machines).
"""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmpanoptic.datasets.synthetic_shapes import generate_image_dataset
from mmpanoptic.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


@pytest.fixture
def one_thread():
    """One torch thread: these small models train several times faster without thread synchronisation,
    and far faster on a loaded machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _overfit(config, tmp_path, iters, lr):
    register_all_modules()
    data_root = str(tmp_path / 'data')
    generate_image_dataset(data_root, seed=3, num_train=16, num_val=1)
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.work_dir = str(tmp_path / 'work')
    train_set = dict(data_root=data_root, ann_file='annotations/panoptic_train.json',
                     data_prefix=dict(img='train/', seg='annotations/panoptic_train/'))
    cfg.train_dataloader.dataset.update(train_set)
    cfg.val_dataloader.dataset.update(train_set)
    cfg.val_dataloader.dataset.pipeline = cfg.test_dataloader.dataset.pipeline
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        loader.update(num_workers=0, persistent_workers=False)  # no worker processes for 16 tiny pictures
    cfg.test_dataloader = cfg.val_dataloader
    cfg.val_evaluator = dict(
        type='PanopticQualityMetric',
        ann_file=osp.join(data_root, 'annotations/panoptic_train.json'),
        seg_prefix=osp.join(data_root, 'annotations/panoptic_train/'))
    cfg.test_evaluator = cfg.val_evaluator
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = iters
    cfg.optim_wrapper.optimizer.lr = lr
    cfg.param_scheduler = [dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0, end=iters, by_epoch=False)]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1)
    cfg.default_hooks.logger.interval = 50
    cfg.randomness = dict(seed=0)
    torch.manual_seed(0)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner.val_loop.run()['coco_panoptic/PQ']


@pytest.mark.slow
def test_knet_overfits_synthetic_shapes(tmp_path, one_thread):
    pq = _overfit('configs/knet/knet_s3_r18-tiny_fpn_synthetic-shapes.py', tmp_path, iters=200, lr=2e-3)
    assert pq >= 55, pq


@pytest.mark.slow
def test_rtknet_overfits_synthetic_shapes(tmp_path, one_thread):
    pq = _overfit('configs/rtknet/rtknet_rtformer-tiny_synthetic-shapes.py', tmp_path, iters=200, lr=2e-3)
    assert pq >= 45, pq
