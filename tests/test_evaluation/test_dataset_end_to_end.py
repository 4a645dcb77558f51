"""The metrics fed by the real dataset classes through their base-config test pipelines.

Tiny fake datasets are written in each benchmark's native layout; the prediction of every frame is
built from the packed ground truth (``label + track * 1000``, VOID = num_classes), then perturbed.
Every frame of a video shows the same scene on a coarse (8, 16) grid (scaled up where the test
pipeline resizes to 1024 x 2048): road everywhere, car tracks 1 and 2 (8 cells each), a person track
(6 cells), a truck (6 cells; KITTI-STEP: no instance id) and a void column.

Hand-worked values (4 frames, windows 1-4, class mean over present classes road/car/person/truck):

* swap the two car ids in frame 1: car PQ per window k = 1, 1/3 (windows with frame 1: tubes of 2
  frames share 1/3), 0 (IoU 2/4 = 0.5 is no match), 0.6 (IoU 3/5) -> VPQ_k = (3 + car_k) / 4 and
  VPQ = mean(1, 5/6, 3/4, 9/10) = 87.0833. AQ of a car track = (24 * 0.6 + 8 / 7) / 32 = 0.485714,
  AQ = (2 * 0.485714 + 1) / 3 = 0.657143, SQ = 1, STQ = 81.0643.
* predict the person as VOID in frame 2: person PQ_k = 3/3.5, 1/3, 2/3, 3/4 -> VPQ = 91.2946;
  AQ = (1 + 1 + 18/24 * 0.75) / 3 = 0.854167; SQ = (1 + 1 + 0.75 + 1 + 0 (predicted-void column)) / 5 =
  0.75; STQ = 80.0391.
"""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from panopticapi.utils import id2rgb

from mmpanoptic.registry import DATASETS, METRICS
from mmpanoptic.utils import register_all_modules

CONFIGS = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs', '_base_', 'datasets')
GRID = (8, 16)
NUM_FRAMES = 4
SWAP_FRAME, DROP_FRAME = 1, 2
SWAP = dict(VPQ=87.0833, AQ=65.7143, SQ=100.0, STQ=81.0643)
DROP = dict(VPQ=91.2946, AQ=85.4167, SQ=75.0, STQ=80.0391)


def box(rows, cols):
    mask = np.zeros(GRID, bool)
    mask[rows[0]:rows[1], cols[0]:cols[1]] = True
    return mask


# name -> coarse mask; road is everything else
SCENE = dict(car1=box((0, 2), (0, 4)), car2=box((0, 2), (4, 8)), person=box((3, 5), (0, 3)),
             truck=box((3, 5), (4, 7)), void=box((0, 8), (15, 16)))


def scene_ids(ids: dict, scale: int) -> np.ndarray:
    """(8 * scale, 16 * scale) map with ``ids[name]`` on each segment and ``ids['road']`` elsewhere."""
    out = np.full(GRID, ids['road'], np.int64)
    for name, mask in SCENE.items():
        out[mask] = ids[name]
    return out.repeat(scale, 0).repeat(scale, 1)


def write_png(path, rgb):
    os.makedirs(osp.dirname(path), exist_ok=True)
    cv2.imwrite(path, np.ascontiguousarray(rgb[..., ::-1]))


def build(config, data_root, **metric_overrides):
    """Dataset and evaluator of a base config, with ``data_root`` replaced."""
    register_all_modules()
    cfg = Config.fromfile(osp.join(CONFIGS, config))
    dataset_cfg = cfg.val_dataloader.dataset
    dataset_cfg.data_root = data_root
    dataset = DATASETS.build(dataset_cfg)
    metric = METRICS.build(dict(cfg.val_evaluator, nproc=1, **metric_overrides))
    metric.dataset_meta = dataset.metainfo
    return dataset, metric


def predictions(dataset):
    """Every test sample of a video dataset and its prediction made from the packed ground truth."""
    num_classes = len(dataset.metainfo['classes'])
    tracks = {}
    samples = []
    for video in range(len(dataset)):
        for frame in range(dataset.get_len_per_video(video)):
            sample = dataset[(video, frame)]['data_samples']
            frame_sample = sample.video_data_samples[0]
            semantic = frame_sample.gt_sem_seg.sem_seg[0].numpy().astype(np.int64)
            pred = np.where(semantic == 255, num_classes, semantic)
            instances = frame_sample.gt_instances
            for mask, label, instance_id in zip(instances.masks.masks, instances.labels.tolist(),
                                                instances.instances_ids.tolist()):
                track = tracks.setdefault(instance_id, len(tracks) + 1)
                pred[mask.astype(bool)] = label + 1000 * track
            samples.append((sample, pred))
    return samples


def evaluate(metric, dataset, samples, perturb=None):
    """Run mmengine's Evaluator on (perturbed copies of) the predictions."""
    import torch
    from mmengine.structures import PixelData
    evaluator = Evaluator(metric)
    evaluator.dataset_meta = dataset.metainfo
    classes = dataset.metainfo['classes']
    for frame, (sample, pred) in enumerate(samples):
        pred = pred.copy()
        if perturb is not None:
            perturb(frame, pred, classes)
        sample.video_data_samples[0].pred_panoptic_seg = PixelData(sem_seg=torch.from_numpy(pred)[None])
        evaluator.process(data_samples=[sample], data_batch={})
    results = evaluator.evaluate(len(samples))
    return {key.split('/')[-1]: value for key, value in results.items()}


def swap_cars(frame, pred, classes):
    if frame == SWAP_FRAME:
        car_values = sorted(v for v in np.unique(pred).tolist() if v % 1000 == classes.index('car') and v >= 1000)
        first, second = pred == car_values[0], pred == car_values[1]
        pred[first], pred[second] = car_values[1], car_values[0]


def drop_person(frame, pred, classes):
    if frame == DROP_FRAME:
        pred[(pred % 1000 == classes.index('person')) & (pred >= 1000)] = len(classes)


# ----------------------------------------------------------------------------------------------- KITTI-STEP
def write_kitti_step(root):
    semantic = dict(road=0, car1=13, car2=13, person=11, truck=14, void=255)
    track = dict(road=0, car1=1, car2=2, person=3, truck=0, void=0)
    for t in range(NUM_FRAMES):
        write_png(osp.join(root, 'images', 'val', '0002', f'{t:06d}.png'), np.full(GRID + (3, ), 40 * t, np.uint8))
        sem, inst = scene_ids(semantic, 1), scene_ids(track, 1)
        write_png(osp.join(root, 'panoptic_maps', 'val', '0002', f'{t:06d}.png'),
                  np.stack([sem, inst >> 8, inst & 255], -1).astype(np.uint8))


@pytest.fixture(scope='module')
def kitti_step(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('kitti_step')) + '/'
    write_kitti_step(root)
    dataset, metric = build('kitti_step.py', root)
    return dataset, metric, predictions(dataset)


def test_kitti_step_ground_truth_as_prediction_and_perturbations(kitti_step):
    dataset, metric, samples = kitti_step
    assert metric.format == 'kitti-step' and not metric.crowd_rule
    # labels are things first; the metric reads trainIds through the dataset's category_ids
    assert metric.thing_classes == [0, 1] and dataset.metainfo['category_ids'][:2] == (11, 13)
    perfect = evaluate(metric, dataset, samples)
    for key in ('VPQ', 'VPQ_th', 'VPQ_st', 'STQ', 'AQ', 'SQ', 'VPQ_w1', 'VPQ_w4'):
        assert perfect[key] == pytest.approx(100.0), key
    swapped = evaluate(metric, dataset, samples, swap_cars)
    for key, value in SWAP.items():
        assert swapped[key] == pytest.approx(value, abs=1e-3), key
    assert swapped['VPQ_w2'] == pytest.approx(100 * (3 + 1 / 3) / 4)
    assert swapped['VPQ_w3'] == pytest.approx(75.0)
    # things person and car: (1 + car_k) / 2
    assert swapped['VPQ_th'] == pytest.approx(100 * np.mean([1, 2 / 3, 0.5, 0.8]))
    dropped = evaluate(metric, dataset, samples, drop_person)
    for key, value in DROP.items():
        assert dropped[key] == pytest.approx(value, abs=1e-3), key
    assert dropped['VPQ_w1'] == pytest.approx(100 * (3 + 3 / 3.5) / 4)


def test_kitti_step_things_are_person_and_car_even_with_eight_cityscapes_things(kitti_step, tmp_path):
    """A metainfo listing the 8 Cityscapes things (as Video K-Net trains) keeps STQ/VPQ on person and car
    through the base config's thing_classes; without it truck would become a thing class (its region
    has no instance id, so it is crowd for STQ and a thing for VPQ_th)."""
    from mmpanoptic.datasets.cityscapes_panoptic import CITYSCAPES_CLASSES
    from mmpanoptic.datasets.kitti_step import KITTISTEPDataset
    from mmpanoptic.datasets.base_panoptic_dataset import things_first_metainfo
    eight_things = things_first_metainfo([(c[1], c[2], c[3], c[4]) for c in CITYSCAPES_CLASSES])
    root = kitti_step[0].data_root
    register_all_modules()
    cfg = Config.fromfile(osp.join(CONFIGS, 'kitti_step.py'))
    assert tuple(cfg.val_evaluator.thing_classes) == ('person', 'car')
    dataset_cfg = dict(cfg.val_dataloader.dataset, data_root=root, metainfo=eight_things)
    dataset_cfg.pop('type')
    dataset = KITTISTEPDataset(**dataset_cfg)
    assert len(dataset.metainfo['thing_classes']) == 8
    samples = predictions(dataset)
    official = METRICS.build(dict(cfg.val_evaluator, nproc=1))
    official.dataset_meta = dataset.metainfo
    assert [dataset.metainfo['category_ids'][label] for label in official.thing_classes] == [11, 13]
    swapped = evaluate(official, dataset, samples, swap_cars)
    for key, value in SWAP.items():
        assert swapped[key] == pytest.approx(value, abs=1e-3), key
    assert swapped['VPQ_th'] == pytest.approx(100 * np.mean([1, 2 / 3, 0.5, 0.8]))
    # the dataset's 8 things: truck joins the things (VPQ_th = (2 + car_k) / 3)
    all_things = METRICS.build(dict(cfg.val_evaluator, thing_classes=None, nproc=1))
    swapped = evaluate(all_things, dataset, samples, swap_cars)
    assert swapped['VPQ_th'] == pytest.approx(100 * np.mean([1, 7 / 9, 2 / 3, 13 / 15]))
    assert swapped['VPQ'] == pytest.approx(SWAP['VPQ'], abs=1e-3)


# ------------------------------------------------------------------------------------------- Cityscapes-VPS
CS_VPS_IDS = dict(road=7, car1=26001, car2=26002, person=24001, truck=27001, void=0)
CS_VPS_CATEGORY = dict(road=0, car1=13, car2=13, person=11, truck=14)


def write_cityscapes_vps(root, scale):
    """One video of 4 labelled frames (raw frames 5, 10, 15, 20; frame 20 uses the original Cityscapes
    names), 1024 x 2048 because the test pipeline resizes to that size."""
    ids = scene_ids(CS_VPS_IDS, scale)
    images, annotations = [], []
    for t in range(NUM_FRAMES):
        raw = 5 * (t + 1)
        image_id = f'0001_{t + 1:04d}_frankfurt_000000_{raw:06d}'
        img_name, seg_name = ((f'{image_id}_leftImg8bit.png', f'{image_id}_gtFine_color.png') if raw == 20 else
                              (f'{image_id}_newImg8bit.png', f'{image_id}_final_mask.png'))
        write_png(osp.join(root, 'val', 'img', img_name), np.full(ids.shape + (3, ), 60, np.uint8))
        write_png(osp.join(root, 'val', 'panoptic_video', seg_name), id2rgb(ids))
        images.append(dict(id=image_id, file_name=img_name, height=ids.shape[0], width=ids.shape[1]))
        annotations.append(dict(image_id=image_id, file_name=seg_name, segments_info=[
            dict(id=CS_VPS_IDS[name], category_id=category, iscrowd=0, area=int((ids == CS_VPS_IDS[name]).sum()))
            for name, category in CS_VPS_CATEGORY.items()]))
    categories = [dict(id=i, name=str(i), isthing=int(i >= 11)) for i in range(19)]
    with open(osp.join(root, 'panoptic_gt_val_city_vps.json'), 'w') as f:
        json.dump(dict(images=images, annotations=annotations, categories=categories), f)


def test_cityscapes_vps_ground_truth_as_prediction_and_swap(tmp_path):
    root = str(tmp_path) + '/'
    write_cityscapes_vps(root, scale=128)
    dataset, metric = build('cityscapes_vps.py', root)
    assert metric.format == 'cityscapes-vps' and metric.crowd_rule and metric.metrics == ['VPQ']
    samples = predictions(dataset)
    assert samples[0][1].shape == (1024, 2048)
    perfect = evaluate(metric, dataset, samples)
    assert perfect['VPQ'] == pytest.approx(100.0) and perfect['VPQ_th'] == pytest.approx(100.0)
    swapped = evaluate(metric, dataset, samples, swap_cars)
    assert swapped['VPQ'] == pytest.approx(SWAP['VPQ'], abs=1e-3)
    # 8 Cityscapes things, present: car, person, truck
    assert swapped['VPQ_th'] == pytest.approx(100 * np.mean([1, 7 / 9, 2 / 3, 13 / 15]))
    dropped = evaluate(metric, dataset, samples, drop_person)
    assert dropped['VPQ'] == pytest.approx(DROP['VPQ'], abs=1e-3)


# ------------------------------------------------------------------------------------------------- VIPSeg
VIPSEG_IDS = dict(road=19, car1=4901, car2=4902, person=6101, truck=5101, void=0)
VIPSEG_CATEGORY = dict(road=18, car1=48, car2=48, person=60, truck=50)
VIPSEG_FRAMES = 6


def write_vipseg(root):
    """One video of 6 frames subsampled every 5 raw frames (names 00000000, 00000005, ...)."""
    from mmpanoptic.datasets.vipseg import VIPSEG_CATEGORIES
    ids = scene_ids(VIPSEG_IDS, 1)
    images, annotations = [], []
    for t in range(VIPSEG_FRAMES):
        stem = f'{5 * t:08d}'
        write_png(osp.join(root, 'images', 'v_1', f'{stem}.jpg'), np.full(ids.shape + (3, ), 60, np.uint8))
        write_png(osp.join(root, 'panomasksRGB', 'v_1', f'{stem}.png'), id2rgb(ids))
        images.append(dict(id=f'v_1_{stem}', file_name=f'{stem}.jpg', height=ids.shape[0], width=ids.shape[1]))
        annotations.append(dict(image_id=f'v_1_{stem}', file_name=f'{stem}.png', segments_info=[
            dict(id=VIPSEG_IDS[name], category_id=category, iscrowd=0, area=int((ids == VIPSEG_IDS[name]).sum()))
            for name, category in VIPSEG_CATEGORY.items()]))
    categories = [dict(id=c[0], name=c[1], isthing=int(c[2])) for c in VIPSEG_CATEGORIES]
    with open(osp.join(root, 'panoptic_gt_VIPSeg_val.json'), 'w') as f:
        json.dump(dict(videos=[dict(video_id='v_1', images=images)], categories=categories,
                       annotations=[dict(video_id='v_1', annotations=annotations)]), f)


def truck_as_car(frame, pred, classes):
    truck = (pred % 1000 == classes.index('truck')) & (pred >= 1000)
    pred[truck] += classes.index('car') - classes.index('truck')


def test_vipseg_ground_truth_as_prediction_and_wrong_class(tmp_path):
    root = str(tmp_path) + '/'
    write_vipseg(root)
    dataset, metric = build('vipseg.py', root)
    assert metric.format == 'vipseg' and metric.windows == (1, 2, 4, 6)
    samples = predictions(dataset)
    assert [s.video_data_samples[0].frame_id for s, _ in samples] == [0, 5, 10, 15, 20, 25]
    perfect = evaluate(metric, dataset, samples)
    for key in ('VPQ', 'VPQ_w6', 'STQ', 'AQ', 'SQ'):
        assert perfect[key] == pytest.approx(100.0), key
    # the truck predicted as a car in every frame: truck PQ 0, car TP 2 FP 1 (PQ 0.8) in every window
    # -> VPQ = (1 + 0.8 + 1 + 0) / 4. AQ has no class check: 1. SQ: car IoU 16/22, truck 0.
    wrong = evaluate(metric, dataset, samples, truck_as_car)
    assert wrong['VPQ'] == pytest.approx(70.0)
    assert wrong['AQ'] == pytest.approx(100.0)
    assert wrong['SQ'] == pytest.approx(100 * (2 + 16 / 22) / 4)
    assert wrong['STQ'] == pytest.approx(100 * np.sqrt((2 + 16 / 22) / 4))


# --------------------------------------------------------------------------------------- Cityscapes (image)
def test_cityscapes_panoptic_ground_truth_as_prediction_and_drop(tmp_path):
    """Official cityscapesScripts naming: ``images[].file_name`` is ``..._gtFine_leftImg8bit.png`` (a file
    that does not exist), the PNG is ``..._gtFine_panoptic.png``, category ids are labelIds and image ids
    are strings. A person group region is crowd."""
    root = str(tmp_path) + '/'
    image_id = 'frankfurt_000000_000294'
    ids = scene_ids(dict(road=7, car1=26000, car2=26001, person=24, truck=23, void=0), 128)
    segments = [dict(id=7, category_id=7, iscrowd=0), dict(id=26000, category_id=26, iscrowd=0),
                dict(id=26001, category_id=26, iscrowd=0), dict(id=24, category_id=24, iscrowd=1),
                dict(id=23, category_id=23, iscrowd=0)]  # 'truck' cells are sky here
    for segment in segments:
        mask = ids == segment['id']
        ys, xs = np.nonzero(mask)
        segment.update(area=int(mask.sum()), bbox=[int(xs.min()), int(ys.min()), int(np.ptp(xs)) + 1,
                                                   int(np.ptp(ys)) + 1])
    write_png(osp.join(root, 'leftImg8bit', 'val', 'frankfurt', f'{image_id}_leftImg8bit.png'),
              np.full(ids.shape + (3, ), 90, np.uint8))
    write_png(osp.join(root, 'gtFine', 'cityscapes_panoptic_val', f'{image_id}_gtFine_panoptic.png'), id2rgb(ids))
    from mmpanoptic.datasets.cityscapes_panoptic import CITYSCAPES_CLASSES
    categories = [dict(id=c[0], name=c[2], isthing=int(c[3])) for c in CITYSCAPES_CLASSES]
    with open(osp.join(root, 'gtFine', 'cityscapes_panoptic_val.json'), 'w') as f:
        json.dump(dict(images=[dict(id=image_id, file_name=f'{image_id}_gtFine_leftImg8bit.png', height=1024,
                                    width=2048)],
                       annotations=[dict(image_id=image_id, file_name=f'{image_id}_gtFine_panoptic.png',
                                         segments_info=segments)], categories=categories), f)
    register_all_modules()
    cfg = Config.fromfile(osp.join(CONFIGS, 'cityscapes_panoptic.py'))
    dataset = DATASETS.build(dict(cfg.val_dataloader.dataset, data_root=root))
    evaluator_cfg = dict(cfg.val_evaluator, ann_file=root + 'gtFine/cityscapes_panoptic_val.json',
                         seg_prefix=root + 'gtFine/cityscapes_panoptic_val/', nproc=1)
    sample = dataset[0]['data_samples']
    num_classes = len(dataset.metainfo['classes'])
    semantic = sample.gt_sem_seg.sem_seg[0].numpy().astype(np.int64)
    pred = np.where(semantic == 255, num_classes, semantic)  # the crowd region keeps its class, no instance
    for k, (mask, label) in enumerate(zip(sample.gt_instances.masks.masks, sample.gt_instances.labels.tolist())):
        pred[mask.astype(bool)] = label + 1000 * (k + 1)

    def run(prediction):
        import torch
        from mmengine.structures import PixelData
        evaluator = Evaluator(METRICS.build(evaluator_cfg))
        evaluator.dataset_meta = dataset.metainfo
        sample.pred_panoptic_seg = PixelData(sem_seg=torch.from_numpy(prediction)[None])
        evaluator.process(data_samples=[sample], data_batch={})
        return {key.split('/')[-1]: value for key, value in evaluator.evaluate(1).items()}

    perfect = run(pred)
    assert perfect['PQ'] == pytest.approx(100.0) and perfect['PQ_th'] == pytest.approx(100.0)
    dropped = pred.copy()
    dropped[scene_ids(dict(road=0, car1=0, car2=1, person=0, truck=0, void=0), 128) == 1] = num_classes
    # road, sky: 1; car: TP 1, FN 1 -> 1 / 1.5; person only crowd (prediction on it ignored): absent
    results = run(dropped)
    assert results['PQ'] == pytest.approx(100 * (2 + 1 / 1.5) / 3)
    assert results['PQ_th'] == pytest.approx(100 / 1.5)
