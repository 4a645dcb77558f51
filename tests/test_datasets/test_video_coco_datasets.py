"""CityscapesVPSDataset and VIPSegDataset: fake native layouts through train and test pipelines."""
import json
import os
import os.path as osp
import random

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope
from panopticapi.utils import id2rgb

from mmpanoptic.datasets import CityscapesVPSDataset, VIPSegDataset

H, W = 20, 32
TRAIN_PIPELINE = [
    dict(type='UniformRefFrameSample', num_ref_imgs=1, frame_range=1, filter_key_img=True),
    dict(type='TransformBroadcaster', share_random_params=True, transforms=[
        dict(type='LoadImageFromFile'), dict(type='LoadPanopticGT'),
        dict(type='RandomResize', scale=(W, H), ratio_range=(1.0, 2.0), keep_ratio=True),
        dict(type='RandomCrop', crop_size=(W, H), allow_negative_crop=True), dict(type='RandomFlip', prob=0.5)]),
    dict(type='PackVideoPanopticInputs'),
]
TEST_PIPELINE = [
    dict(type='TransformBroadcaster', transforms=[dict(type='LoadImageFromFile'), dict(type='LoadPanopticGT')]),
    dict(type='PackVideoPanopticInputs'),
]


def write_png(path, rgb):
    os.makedirs(osp.dirname(path), exist_ok=True)
    cv2.imwrite(path, np.ascontiguousarray(rgb[..., ::-1]))


def frame_ids(t):
    """Stuff id 11 everywhere, thing id 500 (same object in every frame) moving right, void row 0."""
    ids = np.full((H, W), 11, np.int64)
    ids[5:10, 2 + t:8 + t] = 500
    ids[0] = 0
    return ids


def segments(ids, stuff_cat, thing_cat):
    return [dict(id=11, category_id=stuff_cat, iscrowd=0, area=int((ids == 11).sum())),
            dict(id=500, category_id=thing_cat, iscrowd=0, area=int((ids == 500).sum()))]


@pytest.fixture
def vps_root(tmp_path):
    root = str(tmp_path)
    images, annotations = [], []
    global_index = 0
    for video in (1, 2):
        for t in range(3):
            global_index += 1
            image_id = f'{video:04d}_{global_index:04d}_frankfurt_000000_{5 * t:06d}'
            name = f'{image_id}_newImg8bit.png'
            write_png(osp.join(root, 'val', 'img', name), np.full((H, W, 3), 50, np.uint8))
            ids = frame_ids(t)
            write_png(osp.join(root, 'val', 'panoptic_video', f'{image_id}_final_mask.png'), id2rgb(ids))
            images.append(dict(id=image_id, file_name=name, height=H, width=W))
            annotations.append(dict(image_id=image_id, file_name=f'{image_id}_final_mask.png',
                                    segments_info=segments(ids, 0, 13)))
    categories = [dict(id=i, name=str(i), isthing=int(i >= 11)) for i in range(19)]
    with open(osp.join(root, 'panoptic_gt_val_city_vps.json'), 'w') as f:
        json.dump(dict(images=images, annotations=annotations, categories=categories), f)
    return root


def test_cityscapes_vps(vps_root):
    init_default_scope('mmpanoptic')
    kwargs = dict(data_root=vps_root, ann_file='panoptic_gt_val_city_vps.json',
                  data_prefix=dict(img='val/img/', seg='val/panoptic_video/'))
    test_set = CityscapesVPSDataset(pipeline=TEST_PIPELINE, test_mode=True, **kwargs)
    assert len(test_set) == 2 and [test_set.get_len_per_video(i) for i in range(2)] == [3, 3]
    car = test_set.metainfo['classes'].index('car')
    road = test_set.metainfo['classes'].index('road')
    assert car == 2 and road == 8
    for t in range(3):
        sample = test_set[(1, t)]['data_samples'].video_data_samples[0]
        assert sample.video_id == '0002' and sample.frame_id == 4 + t
        sem = sample.gt_sem_seg.sem_seg[0].numpy()
        assert (sem[0] == 255).all() and sem[7, 3 + t] == car and sem[15, 20] == road
        assert sample.gt_instances.instances_ids.tolist() == [500]
        assert sample.gt_instances.labels.tolist() == [car]
    train_set = CityscapesVPSDataset(pipeline=TRAIN_PIPELINE, **kwargs)
    random.seed(1)
    for key in range(3):
        track = train_set[(0, key)]['data_samples']
        frames = track.video_data_samples
        ref = frames[track.ref_frames_inds[0]].frame_id
        assert abs(ref - frames[track.key_frames_inds[0]].frame_id) == 1
        assert all(f.gt_instances.instances_ids.tolist() in ([], [500]) for f in frames)
        assert frames[0].img_shape == frames[1].img_shape


def test_cityscapes_vps_bad_image_id(vps_root):
    path = osp.join(vps_root, 'panoptic_gt_val_city_vps.json')
    content = json.load(open(path))
    content['images'][0]['id'] = 'frankfurt_000000_000000'
    content['annotations'][0]['image_id'] = 'frankfurt_000000_000000'
    json.dump(content, open(path, 'w'))
    with pytest.raises(ValueError, match="image id 'frankfurt_000000_000000' is not <video"):
        CityscapesVPSDataset(data_root=vps_root, ann_file='panoptic_gt_val_city_vps.json',
                             data_prefix=dict(img='val/img/', seg='val/panoptic_video/'), test_mode=True)
    content['images'][0]['id'] = content['annotations'][0]['image_id'] = '0001_0002_frankfurt_000000_999999'
    json.dump(content, open(path, 'w'))
    with pytest.raises(ValueError, match="video '0001' has duplicate frame indices"):
        CityscapesVPSDataset(data_root=vps_root, ann_file='panoptic_gt_val_city_vps.json',
                             data_prefix=dict(img='val/img/', seg='val/panoptic_video/'), test_mode=True)


def test_vipseg(tmp_path):
    root = str(tmp_path)
    videos, annotations = [], []
    for video in ('12_abc', '7_xyz'):
        images, anns = [], []
        for t in (1, 6, 11):  # frames are subsampled: indices need not be contiguous
            name = f'{t:08d}'
            write_png(osp.join(root, 'images', video, name + '.jpg'), np.full((H, W, 3), 80, np.uint8))
            ids = frame_ids(t // 5)
            write_png(osp.join(root, 'panomasksRGB', video, name + '.png'), id2rgb(ids))
            images.append(dict(id=name, file_name=name + '.png', height=H, width=W))
            anns.append(dict(image_id=name, file_name=name + '.png', segments_info=segments(ids, 0, 60)))
        videos.append(dict(video_id=video, images=images))
        annotations.append(dict(video_id=video, annotations=anns))
    with open(osp.join(root, 'panoptic_gt_VIPSeg_val.json'), 'w') as f:
        json.dump(dict(videos=videos, annotations=annotations, categories=[]), f)
    init_default_scope('mmpanoptic')
    kwargs = dict(data_root=root, ann_file='panoptic_gt_VIPSeg_val.json',
                  data_prefix=dict(img='images/', seg='panomasksRGB/'))
    dataset = VIPSegDataset(pipeline=TEST_PIPELINE, test_mode=True, **kwargs)
    person = dataset.metainfo['classes'].index('person')
    wall = dataset.metainfo['classes'].index('wall')
    assert person < 58 <= wall
    sample = dataset[(0, 2)]['data_samples'].video_data_samples[0]
    assert sample.video_id == '12_abc' and sample.frame_id == 11
    assert sample.img_path.endswith(osp.join('images', '12_abc', '00000011.jpg'))
    sem = sample.gt_sem_seg.sem_seg[0].numpy()
    assert sem[7, 5] == person and sem[15, 20] == wall and (sem[0] == 255).all()
    train_set = VIPSegDataset(pipeline=TRAIN_PIPELINE, **kwargs)
    track = train_set[(1, 1)]['data_samples']
    assert sorted(f.frame_id for f in track.video_data_samples)[0] in (1, 11)
    assert all(f.gt_instances.labels.tolist() == [person] for f in track.video_data_samples)
