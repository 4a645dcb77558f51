"""VideoPanopticMetric driven with TrackDataSamples, and eval_video_panoptic.py on generated folders."""
import importlib.util
import json
import os.path as osp
import subprocess

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import PixelData
from PIL import Image

from mmpanoptic.evaluation.functional import video_folder_histograms
from mmpanoptic.evaluation.metrics import VideoPanopticMetric

META = dict(classes=('road', 'sky', 'car'), thing_classes=('car', ))
VOID = 255


def step_png(path, labels, instances):
    rgb = np.stack([labels, instances >> 8, instances & 255], -1).astype(np.uint8)
    Image.fromarray(rgb).save(path)


def vpq1_gt(t):
    """Frame t of VPQ-1 (4 x 10 px row repeated on 2 rows): road 0-5, car track 1 on 6-8, void 9."""
    labels = np.array([[0] * 6 + [2] * 3 + [VOID]] * 2)
    instances = np.array([[0] * 6 + [1] * 3 + [0]] * 2)
    return labels, instances


def vpq1_pred(t):
    labels = np.array([[0] * 6 + [2] * 3 + [0]] * 2)
    instances = np.array([[0] * 6 + [5 if t < 2 else 6] * 3 + [0]] * 2)
    return labels, instances


def write_step_folders(root, num_frames=4):
    for side, make in (('gt', vpq1_gt), ('pred', vpq1_pred)):
        (root / side / '0002').mkdir(parents=True)
        for t in range(num_frames):
            step_png(root / side / '0002' / f'{t:06d}.png', *make(t))


def track_sample(root, num_frames=4, frame_ids=None):
    frames = []
    for t in frame_ids if frame_ids is not None else range(num_frames):
        labels, instances = vpq1_pred(t)
        frame = DetDataSample(metainfo=dict(video_id='0002', frame_id=t, img_path=f'{t}.png',
                                            seg_map_path=str(root / 'gt' / '0002' / f'{t:06d}.png')))
        frame.pred_panoptic_seg = PixelData(sem_seg=torch.from_numpy(labels + 1000 * instances)[None])
        frames.append(frame)
    sample = TrackDataSample()
    sample.video_data_samples = frames
    return sample


def test_metric_vpq_and_stq_kitti_step(tmp_path):
    write_step_folders(tmp_path)
    metric = VideoPanopticMetric(format='kitti-step', thing_classes=[2])
    metric.dataset_meta = META
    sample = track_sample(tmp_path)
    # frames split across two "ranks" and batches, out of order
    metric.process({}, sample.video_data_samples[2:])
    metric.process({}, sample.video_data_samples[:2])
    results = metric.evaluate(size=1)
    assert results['video_panoptic/VPQ'] == pytest.approx(75.1984, abs=1e-3)
    assert results['video_panoptic/VPQ_w2'] == pytest.approx(78.5714, abs=1e-3)
    # STQ: AQ(track 1) = (6*0.5 + 6*0.5)/12 = 0.5; SQ: road 24/32 (pred road on void dropped -> 24/24), car 1
    assert results['video_panoptic/AQ'] == pytest.approx(50.0)
    assert results['video_panoptic/SQ'] == pytest.approx(100.0)
    assert results['video_panoptic/STQ'] == pytest.approx(100 * np.sqrt(0.5))


def test_metric_marks_a_subset_of_the_videos_as_partial(tmp_path):
    write_step_folders(tmp_path)
    metric = VideoPanopticMetric(metric='VPQ', format='kitti-step', class_mean='all', thing_classes=[2])
    metric.dataset_meta = dict(META, subset=dict(ann_file=str(tmp_path), size=1, total=3, reason='indices=1'))
    metric.process({}, [track_sample(tmp_path)])
    results = metric.evaluate(size=1)
    assert results['video_panoptic/partial_videos'] == 1 and results['video_panoptic/total_videos'] == 3
    assert results['video_panoptic/VPQ'] == pytest.approx(50.1323, abs=1e-3)  # the scores themselves unchanged


def test_metric_class_mean_all_and_track_samples(tmp_path):
    write_step_folders(tmp_path)
    metric = VideoPanopticMetric(metric='VPQ', format='kitti-step', class_mean='all', thing_classes=[2])
    metric.dataset_meta = META
    metric.process({}, [track_sample(tmp_path)])
    assert metric.evaluate(size=1)['video_panoptic/VPQ'] == pytest.approx(50.1323, abs=1e-3)


def test_metric_rejects_partial_or_conflicting_sequences(tmp_path):
    write_step_folders(tmp_path)
    metric = VideoPanopticMetric(format='kitti-step', thing_classes=[2])
    metric.dataset_meta = META
    metric.process({}, [track_sample(tmp_path, frame_ids=[0, 1, 3])])
    with pytest.raises(ValueError, match=r'Video 0002: frames \[2\] are missing'):
        metric.evaluate(size=1)
    metric.process({}, [track_sample(tmp_path)])
    metric.process({}, track_sample(tmp_path).video_data_samples[:1])  # sampler padding: identical repeat
    assert metric.evaluate(size=1)['video_panoptic/VPQ'] == pytest.approx(75.1984, abs=1e-3)
    other = track_sample(tmp_path).video_data_samples[:1]
    other[0].pred_panoptic_seg = PixelData(sem_seg=torch.zeros(1, 2, 10, dtype=torch.long))
    metric.process({}, [track_sample(tmp_path)])
    metric.process({}, other)
    with pytest.raises(ValueError, match='frame 0 was evaluated twice with different results'):
        metric.evaluate(size=1)
    with pytest.raises(ValueError, match='format must be one of'):
        VideoPanopticMetric(format='davis')


def test_eval_video_cli_kitti_step(tmp_path, repo_root, python_exe, capsys):
    write_step_folders(tmp_path)
    out = tmp_path / 'video.json'
    tool = osp.join(repo_root, 'tools', 'analysis_tools', 'eval_video_panoptic.py')
    subprocess.run([python_exe, tool, str(tmp_path / 'gt'), str(tmp_path / 'pred'), '--format', 'kitti-step',
                    '--num-classes', '3', '--things', '2', '--windows', '1', '2', '3', '4', '--out', str(out),
                    '--nproc', '2'], check=True, capture_output=True, cwd=repo_root)
    results = json.load(open(out))
    assert results['VPQ'] == pytest.approx(75.1984, abs=1e-3)
    assert results['VPQ_per_window'] == pytest.approx({'1': 100.0, '2': 78.5714, '3': 72.2222, '4': 50.0}, abs=1e-3)
    assert results['VPQ_th'] == pytest.approx(np.mean([100, 57.1429, 44.4444, 0]), abs=1e-3)
    assert results['STQ'] == pytest.approx(100 * np.sqrt(0.5))
    assert set(results) >= {'STQ', 'AQ', 'SQ', 'VPQ', 'VPQ_th', 'VPQ_st', 'VPQ_per_window'}
    (tmp_path / 'pred' / '0002' / '000003.png').unlink()
    with pytest.raises(SystemExit) as exc:
        load_tool(repo_root).main([str(tmp_path / 'gt'), str(tmp_path / 'pred'), '--format', 'kitti-step',
                                   '--num-classes', '3', '--things', '2'])
    assert exc.value.code == 1
    assert "missing prediction frame(s) ['000003.png']" in capsys.readouterr().err


def load_tool(repo_root):
    path = osp.join(repo_root, 'tools', 'analysis_tools', 'eval_video_panoptic.py')
    spec = importlib.util.spec_from_file_location('eval_video_panoptic', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_step_folder_bad_inputs(tmp_path):
    write_step_folders(tmp_path)
    kwargs = dict(num_classes=3, thing_classes=[2], nproc=1)
    (tmp_path / 'pred' / '0009').mkdir()
    with pytest.raises(ValueError, match=r"extra prediction sequence\(s\) \['0009'\]"):
        video_folder_histograms('kitti-step', str(tmp_path / 'gt'), str(tmp_path / 'pred'), **kwargs)
    (tmp_path / 'pred' / '0009').rmdir()
    for side in ('gt', 'pred'):
        (tmp_path / side / '0002' / '000002.png').rename(tmp_path / side / '0002' / '000007.png')
    with pytest.raises(ValueError, match='frame numbers are not consecutive'):
        video_folder_histograms('kitti-step', str(tmp_path / 'gt'), str(tmp_path / 'pred'), **kwargs)
    (tmp_path / 'empty' / 'gt').mkdir(parents=True)
    with pytest.raises(ValueError, match='no sequence folder'):
        video_folder_histograms('kitti-step', str(tmp_path / 'empty' / 'gt'), str(tmp_path / 'pred'), **kwargs)
    with pytest.raises(ValueError, match='needs the ground-truth JSON'):
        video_folder_histograms('vipseg', str(tmp_path / 'gt'), str(tmp_path / 'pred'), nproc=1)


def write_vipseg(root, crowd):
    """VPQ-2 in VIPSeg layout (1 frame x 8 px): road 1-4, car crowd (or not) 5-6, car 7-8."""
    categories = [dict(id=0, name='road', isthing=0), dict(id=1, name='car', isthing=1)]
    gt_ids = np.array([[1, 1, 1, 1, 2, 2, 3, 3]])
    pred_ids = np.array([[9, 9, 9, 9, 9, 9, 8, 8]])
    for folder, ids in ((root / 'gt' / 'v1', gt_ids), (root / 'pred' / 'pan_pred' / 'v1', pred_ids)):
        folder.mkdir(parents=True)
        Image.fromarray(np.stack([ids, 0 * ids, 0 * ids], -1).astype(np.uint8)).save(folder / '00000000.png')
    gt_segments = [dict(id=1, category_id=0, iscrowd=0), dict(id=2, category_id=1, iscrowd=int(crowd)),
                   dict(id=3, category_id=1, iscrowd=0)]
    pred_segments = [dict(id=9, category_id=0), dict(id=8, category_id=1)]
    json.dump(dict(videos=[dict(video_id='v1', images=[dict(file_name='00000000.jpg')])], categories=categories,
                   annotations=[dict(video_id='v1', annotations=[dict(file_name='00000000.png',
                                                                      segments_info=gt_segments)])]),
              open(root / 'gt.json', 'w'))
    json.dump(dict(annotations=[dict(video_id='v1', annotations=[dict(file_name='00000000.png',
                                                                      segments_info=pred_segments)])]),
              open(root / 'pred' / 'pred.json', 'w'))


@pytest.mark.parametrize('crowd, vpq', [(True, 83.3333), (False, 66.6667)])
def test_eval_video_tool_vipseg_convention_a(tmp_path, repo_root, crowd, vpq):
    write_vipseg(tmp_path, crowd=crowd)
    out = tmp_path / 'vip.json'
    results = load_tool(repo_root).main([str(tmp_path / 'gt'), str(tmp_path / 'pred'), '--format', 'vipseg',
                                         '--gt-json', str(tmp_path / 'gt.json'), '--windows', '1', '--metrics', 'VPQ',
                                         '--out', str(out), '--nproc', '1'])
    assert results['VPQ'] == pytest.approx(vpq, abs=1e-3)
    assert json.load(open(out))['convention'] == 'A'
