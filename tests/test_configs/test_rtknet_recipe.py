"""RT-K-Net Cityscapes recipe against the official detectron2 config (configs/RT-K-Net-Cityscapes.yaml)."""
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.registry import PARAM_SCHEDULERS

from mmpanoptic.utils import register_all_modules

register_all_modules()
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs/rtknet/rtknet_rtformer-b_4xb8-90k_cityscapes-panoptic.py')


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
