"""KITTISTEPDataset / SyntheticShapesVideoDataset: a fake STEP layout through the train and test pipelines."""
import os
import os.path as osp
import random

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from mmpanoptic.datasets import KITTISTEPDataset, SyntheticShapesVideoDataset
from mmpanoptic.datasets.synthetic_shapes import generate_video_dataset
from mmpanoptic.errors import DataError

H, W = 24, 40


def write_rgb(path, rgb):
    os.makedirs(osp.dirname(path), exist_ok=True)
    cv2.imwrite(path, np.ascontiguousarray(rgb[..., ::-1]))


def step_png(semantic, track):
    return np.stack([semantic, track // 256, track % 256], axis=-1).astype(np.uint8)


def write_sequence(root, split, seq, num_frames, with_maps=True, start=0):
    """Frame t: road (trainId 0) everywhere, a car (13) track 300 at x=2t..2t+5, a person (11) track 7
    at rows 10-15 in even frames only, void (255) in the last column, a person crowd pixel block."""
    for t in range(start, start + num_frames):
        img = np.full((H, W, 3), 10 * t, dtype=np.uint8)
        write_rgb(osp.join(root, 'images', split, seq, f'{t:06d}.png'), img)
        if not with_maps:
            continue
        sem = np.zeros((H, W), dtype=np.int64)
        track = np.zeros((H, W), dtype=np.int64)
        sem[2:8, 2 * t:2 * t + 6] = 13
        track[2:8, 2 * t:2 * t + 6] = 300
        if t % 2 == 0:
            sem[10:16, 20:26] = 11
            track[10:16, 20:26] = 7
        sem[18:22, 30:34] = 11  # person without track id: crowd
        sem[:, -1] = 255
        write_rgb(osp.join(root, 'panoptic_maps', split, seq, f'{t:06d}.png'), step_png(sem, track))


TRAIN_PIPELINE = [
    dict(type='UniformRefFrameSample', num_ref_imgs=1, frame_range=2, filter_key_img=True),
    dict(type='TransformBroadcaster', share_random_params=True, transforms=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadPanopticGT'),
        dict(type='RandomResize', scale=(W, H), ratio_range=(1.0, 2.0), keep_ratio=True),
        dict(type='InstanceAwareRandomCrop', crop_size=(32, 20)),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PhotoMetricDistortion'),
    ]),
    dict(type='PackVideoPanopticInputs'),
]
TEST_PIPELINE = [
    dict(type='TransformBroadcaster', transforms=[dict(type='LoadImageFromFile'), dict(type='LoadPanopticGT')]),
    dict(type='PackVideoPanopticInputs'),
]


@pytest.fixture(scope='module')
def step_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('kitti_step'))
    write_sequence(root, 'train', '0000', 5)
    write_sequence(root, 'train', '0003', 3)
    write_sequence(root, 'val', '0002', 4)
    return root


def build(root, split, pipeline, test_mode, **kwargs):
    init_default_scope('mmpanoptic')
    return KITTISTEPDataset(
        data_root=root, data_prefix=dict(img=f'images/{split}', seg=f'panoptic_maps/{split}'),
        pipeline=pipeline, test_mode=test_mode, **kwargs)


def test_metainfo_things_first():
    meta = KITTISTEPDataset.METAINFO
    assert meta['thing_classes'] == ('person', 'car')
    assert meta['category_ids'][:4] == (11, 13, 0, 1)
    assert len(meta['classes']) == 19 and meta['classes'][2] == 'road'


def test_test_mode_whole_sequences_in_order(step_root):
    dataset = build(step_root, 'val', TEST_PIPELINE, test_mode=True)
    assert len(dataset) == 1 and dataset.get_len_per_video(0) == 4
    for t in range(4):
        out = dataset[(0, t)]
        assert out['inputs'].shape == (1, 3, H, W)
        sample = out['data_samples'].video_data_samples[0]
        assert sample.video_id == '0002' and sample.frame_id == t
        assert sample.seg_map_path.endswith(osp.join('panoptic_maps', 'val', '0002', f'{t:06d}.png'))
        sem = sample.gt_sem_seg.sem_seg[0].numpy()
        assert sem.shape == (H, W)
        assert (sem[:, -1] == 255).all()  # void
        assert sem[3, 2 * t + 1] == 1  # car -> label 1
        assert sem[19, 31] == 0  # crowd person keeps its class
        assert sem[0, 0] == 2  # road -> label 2
        inst = sample.gt_instances
        expected = {(1, 13 * 65536 + 300)} | ({(0, 11 * 65536 + 7)} if t % 2 == 0 else set())
        assert set(zip(inst.labels.tolist(), inst.instances_ids.tolist())) == expected
        car = inst.masks.masks[inst.labels.numpy() == 1][0]
        assert car.sum() == 36 and car[2:8, 2 * t:2 * t + 6].all()
        assert inst.bboxes.tolist()[inst.labels.tolist().index(1)] == [2 * t, 2, 2 * t + 6, 8]


def test_train_mode_reference_frames_and_shared_augmentation(step_root):
    dataset = build(step_root, 'train', TRAIN_PIPELINE, test_mode=False)
    assert [dataset.get_len_per_video(i) for i in range(len(dataset))] == [5, 3]
    random.seed(0)
    np.random.seed(0)
    offsets = set()
    for _ in range(12):
        key = random.randrange(5)
        out = dataset[(0, key)]
        track = out['data_samples']
        key_idx, ref_idx = track.key_frames_inds, track.ref_frames_inds
        assert len(key_idx) == 1 and len(ref_idx) == 1
        frames = track.video_data_samples
        assert frames[key_idx[0]].frame_id == key
        ref = frames[ref_idx[0]].frame_id
        assert ref != key and abs(ref - key) <= 2
        offsets.add(ref - key)
        assert out['inputs'].shape[0] == 2
        shapes = {f.img_shape for f in frames}
        assert len(shapes) == 1  # same resize and crop on key and reference frame
        assert {f.flip for f in frames} in ({True}, {False})
        for f in frames:
            assert f.gt_sem_seg.sem_seg.shape[1:] == f.img_shape
            ids = f.gt_instances.instances_ids.tolist()
            assert set(ids) <= {13 * 65536 + 300, 11 * 65536 + 7}
            assert len(f.gt_instances.masks) == len(ids) == len(f.gt_instances.labels)
    assert offsets <= {-2, -1, 1, 2} and len(offsets) >= 2


def test_missing_and_duplicate_frames(tmp_path):
    root = str(tmp_path)
    write_sequence(root, 'train', '0000', 2)
    write_sequence(root, 'train', '0000', 1, start=3)  # frame 2 missing
    with pytest.raises(ValueError, match=r"video '0000' is missing frame indices \[2\]"):
        build(root, 'train', [], test_mode=False)
    write_sequence(root, 'train', '0000', 1, start=2)
    build(root, 'train', [], test_mode=False)
    os.rename(osp.join(root, 'images', 'train', '0000', '000001.png'),
              osp.join(root, 'images', 'train', '0000', '1.png'))
    write_rgb(osp.join(root, 'images', 'train', '0000', '000001.png'), np.zeros((H, W, 3), np.uint8))
    with pytest.raises(ValueError, match='duplicate frame index 1'):
        build(root, 'train', [], test_mode=False)


def test_missing_map_and_bad_pngs(tmp_path):
    root = str(tmp_path)
    write_sequence(root, 'val', '0001', 2)
    write_rgb(osp.join(root, 'images', 'val', '0001', '000002.png'), np.zeros((H, W, 3), np.uint8))
    with pytest.raises(FileNotFoundError, match='000002.png: no panoptic map'):
        build(root, 'val', TEST_PIPELINE, test_mode=True)
    os.remove(osp.join(root, 'images', 'val', '0001', '000002.png'))
    # a track id on a stuff class (road)
    sem = np.zeros((H, W), np.int64)
    track = np.zeros((H, W), np.int64)
    track[0, 0] = 5
    bad = osp.join(root, 'panoptic_maps', 'val', '0001', '000001.png')
    write_rgb(bad, step_png(sem, track))
    dataset = build(root, 'val', TEST_PIPELINE, test_mode=True)
    with pytest.raises(ValueError, match=r'000001.png: instance ids on stuff or void category ids \[0\]'):
        dataset[(0, 1)]
    write_rgb(bad, step_png(np.full((H, W), 19), track * 0))  # trainId 19 does not exist
    with pytest.raises(ValueError, match=r'000001.png: unknown category ids \[19\]'):
        dataset[(0, 1)]
    write_rgb(bad, step_png(sem[:, :-2], track[:, :-2]))
    with pytest.raises(ValueError, match='000001.png: panoptic PNG is 38x24'):
        dataset[(0, 1)]
    with open(bad, 'wb') as f:
        f.write(b'not a png')
    with pytest.raises(DataError, match='000001.png: cannot decode'):
        dataset[(0, 1)]


def test_synthetic_shapes_video(tmp_path):
    root = str(tmp_path / 'synth')
    generate_video_dataset(root, seed=1, num_train=1, num_val=1, size=(32, 48), num_frames=3)
    init_default_scope('mmpanoptic')
    dataset = SyntheticShapesVideoDataset(
        data_root=root, data_prefix=dict(img='images/val', seg='panoptic_maps/val'), pipeline=TEST_PIPELINE,
        test_mode=True)
    assert dataset.metainfo['category_ids'] == tuple(range(7))
    ids_per_frame = []
    for t in range(3):
        sample = dataset[(0, t)]['data_samples'].video_data_samples[0]
        png = cv2.imread(sample.seg_map_path)[..., ::-1].astype(np.int64)
        sem = sample.gt_sem_seg.sem_seg[0].numpy()
        assert (sem == png[..., 0]).all()  # class index == label (things first already)
        inst = sample.gt_instances
        assert (inst.labels < 4).all()
        for mask, iid, label in zip(inst.masks.masks, inst.instances_ids.tolist(), inst.labels.tolist()):
            track = png[..., 1] * 256 + png[..., 2]
            assert (mask.astype(bool) == ((png[..., 0] == label) & (track == iid % 65536))).all()
        ids_per_frame.append(set(inst.instances_ids.tolist()))
    assert ids_per_frame[0] & ids_per_frame[1]  # tracks persist over frames
