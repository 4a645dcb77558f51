"""Cityscapes-VPS (convention A, COCO-panoptic ground truth): the ``--format cityscapes-vps`` folder reader of
``eval_video_panoptic.py`` and VideoPanopticMetric with ground truth from ``ann_file`` or ``segments_info``.

The data is VPQ-1 of ``shared/specs/metrics.md`` (4 frames x 10 px, on 2 rows) in the VPSNet layout:
GT road 0-5, car track 6-8, VOID 9; prediction road 0-5 and 9, car 6-8 with id P1 in frames 1-2 and P2
in frames 3-4. VPQ per window = 100, 78.5714, 72.2222, 50 (present classes road and car), VPQ 75.1984;
STQ: AQ = (6 * 0.5 + 6 * 0.5) / 12, SQ = 1.
"""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import PixelData
from panopticapi.utils import id2rgb
from PIL import Image

from mmpanoptic.datasets import CityscapesVPSDataset
from mmpanoptic.evaluation.functional import video_folder_histograms
from mmpanoptic.evaluation.metrics import VideoPanopticMetric

ROAD, CAR, CAR_TRACK, VOID = 7, 26001, 26001, 0  # GT segment ids (one colour per object per video)
CATEGORIES = [dict(id=i, name=str(i), isthing=int(i >= 11)) for i in range(19)]  # trainIds, things 11-18
VPQ1_WINDOWS = {'1': 100.0, '2': 78.5714, '3': 72.2222, '4': 50.0}


def image_id(frame):
    return f'0001_{frame + 1:04d}_frankfurt_000000_{5 * (frame + 1):06d}'


def gt_map():
    return np.array([[ROAD] * 6 + [CAR] * 3 + [VOID]] * 2)


def pred_map(frame):
    return np.array([[5] * 6 + [1000 if frame < 2 else 2000] * 3 + [5]] * 2)


def write_gt(root, crowd=False):
    """VPSNet's panoptic_gt_val_city_vps.json and val/panoptic_video/*_final_mask.png."""
    annotations, images = [], []
    for frame in range(4):
        name = f'{image_id(frame)}_final_mask.png'
        (root / 'val' / 'panoptic_video').mkdir(parents=True, exist_ok=True)
        Image.fromarray(id2rgb(gt_map())).save(root / 'val' / 'panoptic_video' / name)
        images.append(dict(id=image_id(frame), file_name=f'{image_id(frame)}_newImg8bit.png', height=2, width=10))
        annotations.append(dict(image_id=image_id(frame), file_name=name, segments_info=[
            dict(id=ROAD, category_id=0, iscrowd=0, area=12), dict(id=CAR, category_id=13, iscrowd=int(crowd),
                                                                    area=6)]))
    json.dump(dict(images=images, annotations=annotations, categories=CATEGORIES),
              open(root / 'panoptic_gt_val_city_vps.json', 'w'))


def write_pred(root, maps, name_in_json=True):
    """VPSNet's submission: pred.json + pan_pred/<image_id>.png."""
    (root / 'pred' / 'pan_pred').mkdir(parents=True, exist_ok=True)
    annotations = []
    for frame, ids in enumerate(maps):
        Image.fromarray(id2rgb(ids)).save(root / 'pred' / 'pan_pred' / f'{image_id(frame)}.png')
        segments = [dict(id=int(i), category_id=0 if i in (ROAD, 5) else 13) for i in np.unique(ids) if i != 0]
        annotation = dict(image_id=image_id(frame), segments_info=segments)
        if name_in_json:
            annotation['file_name'] = f'{image_id(frame)}.png'
        annotations.append(annotation)
    json.dump(dict(annotations=annotations), open(root / 'pred' / 'pred.json', 'w'))


def run_tool(repo_root, root, *extra):
    path = osp.join(repo_root, 'tools', 'analysis_tools', 'eval_video_panoptic.py')
    spec = importlib.util.spec_from_file_location('eval_video_panoptic', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main([str(root / 'val' / 'panoptic_video'), str(root / 'pred'), '--format', 'cityscapes-vps',
                        '--gt-json', str(root / 'panoptic_gt_val_city_vps.json'), '--nproc', '1', *extra])


def test_folder_ground_truth_as_prediction_scores_100(tmp_path, repo_root):
    write_gt(tmp_path)
    write_pred(tmp_path, [gt_map()] * 4, name_in_json=False)  # pan_pred/<image_id>.png by default
    results = run_tool(repo_root, tmp_path, '--out', str(tmp_path / 'out.json'))
    assert results['VPQ'] == pytest.approx(100.0) and results['STQ'] == pytest.approx(100.0)
    saved = json.load(open(tmp_path / 'out.json'))
    assert saved['convention'] == 'A' and saved['windows'] == [1, 2, 3, 4] and saved['num_frames'] == 4
    assert saved['thing_classes'] == list(range(11, 19))


def test_folder_hand_worked_vpq1_and_crowd(tmp_path, repo_root):
    write_gt(tmp_path)
    write_pred(tmp_path, [pred_map(frame) for frame in range(4)])
    results = run_tool(repo_root, tmp_path)
    assert results['VPQ'] == pytest.approx(75.1984, abs=1e-3)
    assert results['VPQ_per_window'] == pytest.approx({int(k): v for k, v in VPQ1_WINDOWS.items()}, abs=1e-3)
    assert results['VPQ_th'] == pytest.approx(np.mean([100, 57.1429, 44.4444, 0]), abs=1e-3)
    assert results['AQ'] == pytest.approx(50.0) and results['SQ'] == pytest.approx(100.0)
    assert results['STQ'] == pytest.approx(100 * np.sqrt(0.5))
    assert run_tool(repo_root, tmp_path, '--class-mean', 'all')['VPQ'] == pytest.approx(
        75.1984 * 2 / 19, abs=1e-3)  # 19 classes, 17 absent
    # the car as a crowd region (iscrowd=1): ignored on the GT side, its predictions ignored too
    write_gt(tmp_path, crowd=True)
    crowd = run_tool(repo_root, tmp_path, '--metrics', 'VPQ')
    assert crowd['VPQ'] == pytest.approx(100.0) and crowd['VPQ_th'] == pytest.approx(0.0)


def test_folder_bad_inputs(tmp_path):
    write_gt(tmp_path)
    write_pred(tmp_path, [pred_map(frame) for frame in range(4)])
    gt_dir, pred_dir, gt_json = (str(tmp_path / 'val' / 'panoptic_video'), str(tmp_path / 'pred'),
                                 str(tmp_path / 'panoptic_gt_val_city_vps.json'))
    content = json.load(open(tmp_path / 'pred' / 'pred.json'))
    json.dump(dict(annotations=content['annotations'][1:]), open(tmp_path / 'pred' / 'pred.json', 'w'))
    with pytest.raises(ValueError, match=rf"no prediction for 1 ground-truth image.*{image_id(0)}"):
        video_folder_histograms('cityscapes-vps', gt_dir, pred_dir, gt_json=gt_json, nproc=1)
    json.dump(content, open(tmp_path / 'pred' / 'pred.json', 'w'))
    (tmp_path / 'pred' / 'pan_pred' / f'{image_id(2)}.png').unlink()
    with pytest.raises(FileNotFoundError, match=rf'{image_id(2)}.png: file not found'):
        video_folder_histograms('cityscapes-vps', gt_dir, pred_dir, gt_json=gt_json, nproc=1)
    gt = json.load(open(gt_json))
    gt['annotations'][0]['image_id'] = content['annotations'][0]['image_id'] = 'frankfurt_000000_000005'
    json.dump(gt, open(tmp_path / 'bad_gt.json', 'w'))
    json.dump(content, open(tmp_path / 'pred' / 'pred.json', 'w'))
    with pytest.raises(ValueError, match=r"image_id 'frankfurt_000000_000005' is not <video>_<frame>"):
        video_folder_histograms('cityscapes-vps', gt_dir, pred_dir, gt_json=str(tmp_path / 'bad_gt.json'),
                                nproc=1)


def track_sample(tmp_path, with_segments_info):
    """Frames of the VPQ-1 prediction as the model gives them (things-first labels: car 2, road 8)."""
    classes = CityscapesVPSDataset.METAINFO['classes']
    car, road = classes.index('car'), classes.index('road')
    frames = []
    for frame in range(4):
        labels = np.where(pred_map(frame) == 5, road, car)
        tracks = np.where(labels == car, pred_map(frame) // 1000, 0)
        metainfo = dict(video_id='0001', frame_id=frame + 1, img_path=f'{image_id(frame)}_newImg8bit.png',
                        seg_map_path=str(tmp_path / 'val' / 'panoptic_video' / f'{image_id(frame)}_final_mask.png'))
        if with_segments_info:
            metainfo['segments_info'] = [dict(id=ROAD, category=road, is_thing=False, iscrowd=False),
                                         dict(id=CAR, category=car, is_thing=True, iscrowd=False)]
        sample = DetDataSample(metainfo=metainfo)
        sample.pred_panoptic_seg = PixelData(sem_seg=torch.from_numpy(labels + 1000 * tracks)[None])
        frames.append(sample)
    video = TrackDataSample()
    video.video_data_samples = frames
    return video


@pytest.mark.parametrize('source', ['ann_file', 'segments_info'])
def test_metric_with_coco_ground_truth(tmp_path, source):
    write_gt(tmp_path)
    ann_file = str(tmp_path / 'panoptic_gt_val_city_vps.json') if source == 'ann_file' else None
    metric = VideoPanopticMetric(format='cityscapes-vps', ann_file=ann_file, nproc=2)
    metric.dataset_meta = CityscapesVPSDataset.METAINFO  # category_ids = trainIds, labels things first
    metric.process({}, [track_sample(tmp_path, with_segments_info=source == 'segments_info')])
    results = metric.evaluate(size=1)
    assert results['video_panoptic/VPQ'] == pytest.approx(75.1984, abs=1e-3)
    for k, value in VPQ1_WINDOWS.items():
        assert results[f'video_panoptic/VPQ_w{k}'] == pytest.approx(value, abs=1e-3)
    assert results['video_panoptic/STQ'] == pytest.approx(100 * np.sqrt(0.5))


def test_metric_rejects_unknown_json_category(tmp_path):
    write_gt(tmp_path)
    gt = json.load(open(tmp_path / 'panoptic_gt_val_city_vps.json'))
    gt['categories'].append(dict(id=42, name='42', isthing=0))
    json.dump(gt, open(tmp_path / 'bad.json', 'w'))
    metric = VideoPanopticMetric(format='cityscapes-vps', ann_file=str(tmp_path / 'bad.json'), nproc=1)
    metric.dataset_meta = CityscapesVPSDataset.METAINFO
    with pytest.raises(ValueError, match=r"bad.json: category id\(s\) \[42\]"):
        metric.process({}, [track_sample(tmp_path, with_segments_info=False)])
