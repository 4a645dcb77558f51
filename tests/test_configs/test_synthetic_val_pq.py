"""The shipped synthetic-shapes configs reach PQ >= 60 on the synthetic val split (slow: 30 to 45 minutes).

The default dataset (``tools/dataset_converters/synthetic_shapes.py``: seed 0, 1000 train / 100 val pictures)
is generated once; every config then trains unchanged, through ``tools/train.py`` as a user would run it,
from a folder holding ``data/synthetic_shapes`` (the configs' relative ``data_root``). The runs are separate
processes with one torch thread each, two at a time on a 2-core machine, longest first. The PQ asserted is
the one the config's own validation at the end of training logs.
"""
import json
import os
import os.path as osp
import subprocess
import time
from typing import Dict

import pytest

from mmpanoptic.datasets.synthetic_shapes import generate_image_dataset

PQ_TARGET = 60.0
# config -> test id, longest training first; each config's header gives the PQ it reached on this project's
# machine and its training time.
CONFIGS = {
    'configs/yoso/yoso_r18-tiny_synthetic-shapes.py': 'YOSO',
    'configs/panoptic_segformer/panoptic-segformer_r18-tiny_synthetic-shapes.py': 'Panoptic-SegFormer',
    'configs/rtknet/rtknet_rtformer-tiny_synthetic-shapes.py': 'RT-K-Net',
    'configs/rt_panonet/rt-panonet_r18-tiny_fpn_synthetic-shapes.py': 'RT-PanoNet',
    'configs/knet/knet_s3_r18-tiny_fpn_synthetic-shapes.py': 'K-Net',
}
PARALLEL_RUNS = 2
# A run's limit, and the test's (pytest-timeout counts the shared fixture into the first test): YOSO's 3000
# iterations took 25 minutes on the 2-core CI machine of 2026-12-01 (0.5 s per iteration with two runs at once).
# The runs are not seeded: the same config's val PQ varies by a few points between runs (YOSO with 2000
# iterations: 64.7 and 60.7 on 2026-12-02), so each schedule keeps a margin above the target.
RUN_TIMEOUT_S = 2400
TEST_TIMEOUT_S = 3300


def _last_val_metrics(work_dir: str) -> Dict[str, float]:
    """The last validation record of the ``vis_data/scalars.json`` log that mmengine writes in ``work_dir``."""
    records = []
    for root, _, files in os.walk(work_dir):
        if 'scalars.json' in files:
            with open(osp.join(root, 'scalars.json')) as f:
                records += [json.loads(line) for line in f if line.strip()]
    val = [r for r in records if 'coco_panoptic/PQ' in r]
    if not val:
        raise AssertionError(f'no validation record in the logs under {work_dir}')
    return val[-1]


@pytest.fixture(scope='module')
def val_metrics(tmp_path_factory, repo_root, python_exe):
    """Train every config of :data:`CONFIGS`; config -> its last validation metrics."""
    run_root = tmp_path_factory.mktemp('synthetic_val')
    generate_image_dataset(str(run_root / 'data' / 'synthetic_shapes'), seed=0, num_train=1000, num_val=100)
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    pending, running, finished = list(CONFIGS), {}, {}
    while pending or running:
        while pending and len(running) < PARALLEL_RUNS:
            config = pending.pop(0)
            work_dir = run_root / osp.splitext(osp.basename(config))[0]
            log = open(str(work_dir) + '.log', 'w')
            proc = subprocess.Popen(
                [python_exe, osp.join(repo_root, 'tools', 'train.py'), osp.join(repo_root, config),
                 '--work-dir', str(work_dir)],
                cwd=run_root, env=env, stdout=log, stderr=subprocess.STDOUT)
            running[config] = (proc, log, work_dir, time.monotonic())
        for config, (proc, log, work_dir, start) in list(running.items()):
            if proc.poll() is None and time.monotonic() - start > RUN_TIMEOUT_S:
                proc.kill()
                proc.wait()
            if proc.poll() is not None:
                log.close()
                finished[config] = (proc.returncode, work_dir, time.monotonic() - start)
                del running[config]
        time.sleep(2)
    results = {}
    for config, (returncode, work_dir, seconds) in finished.items():
        if returncode != 0:
            with open(str(work_dir) + '.log') as f:
                tail = f.read()[-3000:]
            results[config] = AssertionError(f'{config}: training exited with {returncode}:\n{tail}')
            continue
        metrics = _last_val_metrics(str(work_dir))
        print(f'{CONFIGS[config]}: val PQ {metrics["coco_panoptic/PQ"]:.2f} (things '
              f'{metrics["coco_panoptic/PQ_th"]:.2f}, stuff {metrics["coco_panoptic/PQ_st"]:.2f}) '
              f'after {seconds:.0f} s')
        results[config] = metrics
    return results


@pytest.mark.slow
@pytest.mark.timeout(TEST_TIMEOUT_S)
@pytest.mark.parametrize('config', list(CONFIGS), ids=list(CONFIGS.values()))
def test_synthetic_config_reaches_the_val_pq_target(val_metrics, config):
    metrics = val_metrics[config]
    if isinstance(metrics, Exception):
        raise metrics
    assert metrics['coco_panoptic/PQ'] >= PQ_TARGET, metrics
