"""YOSO overfits a small synthetic shapes dataset: trained and evaluated on the same 8 pictures with the
synthetic config's model and recipe (shorter schedule), it reaches PQ >= 60."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmpanoptic.datasets.synthetic_shapes import generate_image_dataset
from mmpanoptic.utils import register_all_modules

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIG = osp.join(REPO, 'configs', 'yoso', 'yoso_r18-tiny_synthetic-shapes.py')
MAX_ITERS = 300


@pytest.mark.slow
def test_yoso_overfits_synthetic_shapes(tmp_path):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the small model runs fastest single-threaded on shared cores
    try:
        data_root = str(tmp_path / 'data') + '/'
        generate_image_dataset(data_root, seed=0, num_train=8, num_val=1)
        register_all_modules()
        cfg = Config.fromfile(CONFIG)
        cfg.work_dir = str(tmp_path / 'work')
        train_split = dict(ann_file='annotations/panoptic_train.json',
                           data_prefix=dict(img='train/', seg='annotations/panoptic_train/'))
        cfg.train_dataloader.dataset.data_root = data_root
        cfg.val_dataloader.dataset.update(data_root=data_root, **train_split)
        for loader in (cfg.train_dataloader, cfg.val_dataloader):
            loader.update(num_workers=0, persistent_workers=False)  # no worker processes for tiny data
        cfg.test_dataloader = cfg.val_dataloader
        cfg.val_evaluator.update(ann_file=data_root + 'annotations/panoptic_train.json',
                                 seg_prefix=data_root + 'annotations/panoptic_train/')
        cfg.train_cfg.update(max_iters=MAX_ITERS, val_interval=MAX_ITERS)
        cfg.param_scheduler[0].end = MAX_ITERS
        cfg.default_hooks.checkpoint.interval = MAX_ITERS
        cfg.default_hooks.logger.interval = 50
        cfg.randomness = dict(seed=0)
        runner = Runner.from_cfg(cfg)
        runner.train()
        metrics = runner.val_loop.run()
    finally:
        torch.set_num_threads(threads)
    print('YOSO overfit PQ:', {k: round(v, 2) for k, v in metrics.items()})
    assert metrics['coco_panoptic/PQ'] >= 60.0
    assert metrics['coco_panoptic/PQ_th'] >= 35.0
