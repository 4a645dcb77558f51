"""Fixtures of the tool tests: a tiny training config on generated data."""
import os.path as osp

import pytest

from mmpanoptic.datasets.synthetic_shapes import generate_image_dataset

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

CONFIG = 'projects/example_project/configs/mask2former_tinyconv_synthetic-shapes.py'


def write_tiny_config(tmp, base: str, data_root, extra: str = '') -> str:
    """A config at ``tmp/<base name>`` inheriting ``base`` (a repository path) on the generated data in
    ``data_root``, without dataloader workers; ``extra`` is appended."""
    path = tmp / osp.basename(base)
    path.write_text(f"""
_base_ = ['{osp.join(REPO_ROOT, base)}']
data_root = '{data_root}/'
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root))
val_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/panoptic_val.json',
                     seg_prefix=data_root + 'annotations/panoptic_val/')
test_evaluator = val_evaluator
""" + extra)
    return path


@pytest.fixture(scope='session')
def tiny_config():
    """:func:`write_tiny_config`, for the tool tests' own configs."""
    return write_tiny_config


@pytest.fixture(scope='session')
def small_config(tmp_path_factory):
    """A config inheriting the example project's, on a tiny generated dataset, 4 iterations."""
    tmp = tmp_path_factory.mktemp('tools')
    data_root = tmp / 'data'
    generate_image_dataset(str(data_root), seed=3, num_train=8, num_val=4, size=(64, 64))
    return write_tiny_config(tmp, CONFIG, data_root, """
train_cfg = dict(max_iters=4, val_interval=100)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0, end=100)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=2, max_keep_ckpts=5, save_last=True))
log_processor = dict(window_size=1)
""")
