"""Fixtures of the tool tests: a tiny training config on generated data, and a model trained on it."""
import os
import os.path as osp
import socket
import subprocess

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='session')
def free_port():
    """A function returning a TCP port that is free now."""
    return _free_port


@pytest.fixture(scope='session')
def dist_trained(small_config, tmp_path_factory, repo_root, python_exe):
    """``(work_dir, log)`` of ``tools/dist_train.sh small_config 2`` (4 iterations, checkpoints at 2 and 4)."""
    work_dir = tmp_path_factory.mktemp('work')
    env = dict(os.environ, PYTHON=python_exe, OMP_NUM_THREADS='1', PORT=str(_free_port()))
    result = subprocess.run(['bash', 'tools/dist_train.sh', str(small_config), '2', '--work-dir', str(work_dir)],
                            cwd=repo_root, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return work_dir, result.stdout + result.stderr
