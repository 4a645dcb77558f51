"""K-Net, RT-K-Net, YOSO, Panoptic SegFormer and RT-PanoNet overfit a few synthetic shapes pictures (slow: 30
to 170 s each on one core).

Each test generates 16 training pictures, trains the model's synthetic config (its model, pipeline and
optimizer; a short schedule) with one torch thread and evaluates the panoptic quality on the same pictures:
a check of the whole pipeline (data, assignment, losses, post-processing and metric) that a broken part
fails. The PQ each model reached on this project's machine is next to ``OVERFIT``; the asserted minimums
leave a margin for numeric differences between machines. The val-split targets of the same configs are
asserted by ``tests/test_configs/test_synthetic_val_pq.py``.
"""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmpanoptic.datasets.synthetic_shapes import generate_image_dataset
from mmpanoptic.utils import register_all_modules

# config: (iterations, learning rate, minimum PQ, minimum PQ of things). Measured on this project's machine
# (PQ / things): K-Net 69.4 / 56.0 in 30 s, RT-K-Net 67.8 / 49.7 in 90 s, YOSO 89.4 / 84.9 in 90 s,
# Panoptic SegFormer 79.6 / 73.8 in 170 s, RT-PanoNet 71.9 / 59.6 in 120 s of CPU time.
OVERFIT = {
    'configs/knet/knet_s3_r18-tiny_fpn_synthetic-shapes.py': (200, 2e-3, 60.0, 45.0),
    'configs/rtknet/rtknet_rtformer-tiny_synthetic-shapes.py': (300, 2e-3, 58.0, 38.0),
    'configs/yoso/yoso_r18-tiny_synthetic-shapes.py': (300, 1e-3, 75.0, 65.0),
    'configs/panoptic_segformer/panoptic-segformer_r18-tiny_synthetic-shapes.py': (300, 1e-3, 70.0, 60.0),
    'configs/rt_panonet/rt-panonet_r18-tiny_fpn_synthetic-shapes.py': (300, 2e-3, 62.0, 48.0),
}


@pytest.fixture
def one_thread():
    """One torch thread: these small models train several times faster without thread synchronisation,
    and far faster on a loaded machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def overfit(config: str, data_root: str, work_dir: str, iters: int, lr: float) -> dict:
    """Train ``config`` for ``iters`` iterations on the train split of ``data_root``; its metrics there."""
    register_all_modules()
    cfg = Config.fromfile(config)
    cfg.work_dir = work_dir
    train_split = dict(data_root=data_root, ann_file='annotations/panoptic_train.json',
                       data_prefix=dict(img='train/', seg='annotations/panoptic_train/'))
    cfg.train_dataloader.dataset.update(train_split)
    cfg.val_dataloader.dataset.update(train_split)
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        loader.update(num_workers=0, persistent_workers=False)  # no worker processes for 16 tiny pictures
    cfg.test_dataloader = cfg.val_dataloader
    cfg.val_evaluator = dict(
        type='PanopticQualityMetric',
        ann_file=osp.join(data_root, 'annotations/panoptic_train.json'),
        seg_prefix=osp.join(data_root, 'annotations/panoptic_train/'))
    cfg.test_evaluator = cfg.val_evaluator
    cfg.train_cfg.update(max_iters=iters, val_interval=iters)
    cfg.optim_wrapper.optimizer.lr = lr
    cfg.param_scheduler = [dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0, end=iters, by_epoch=False)]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1)
    cfg.default_hooks.logger.interval = 50
    cfg.randomness = dict(seed=0)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner.val_loop.run()


@pytest.mark.slow
@pytest.mark.parametrize('config', list(OVERFIT), ids=['K-Net', 'RT-K-Net', 'YOSO', 'Panoptic-SegFormer', 'RT-PanoNet'])
def test_overfits_synthetic_shapes(tmp_path, repo_root, one_thread, config):
    iters, lr, min_pq, min_pq_th = OVERFIT[config]
    data_root = str(tmp_path / 'data')
    generate_image_dataset(data_root, seed=3, num_train=16, num_val=1)
    metrics = overfit(osp.join(repo_root, config), data_root, str(tmp_path / 'work'), iters, lr)
    print(config, {k: round(v, 2) for k, v in metrics.items()})
    assert metrics['coco_panoptic/PQ'] >= min_pq, metrics
    assert metrics['coco_panoptic/PQ_th'] >= min_pq_th, metrics
