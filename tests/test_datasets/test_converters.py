"""Dataset converters on tiny fake raw layouts, read back by the dataset classes."""
import importlib.util
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope
from PIL import Image

from mmpanoptic.datasets import CityscapesPanopticDataset, KITTISTEPDataset

TOOLS = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'dataset_converters')
PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadPanopticGT'), dict(type='PackPanopticInputs')]


def load_tool(name):
    spec = importlib.util.spec_from_file_location(name, osp.join(TOOLS, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cityscapes_builtin_conversion(tmp_path):
    root = str(tmp_path)
    ids = np.full((16, 24), 7, np.uint16)  # road (instanceIds PNGs are 16-bit)
    ids[2:6, 2:8] = 26001  # car instance 1
    ids[8:12, 10:14] = 26  # car pixels without instance: crowd
    ids[:, -1] = 0  # unlabeled -> void
    ids[-1, :4] = 4  # static (not evaluated) -> void
    name = 'aachen_000000_000019'
    os.makedirs(osp.join(root, 'gtFine', 'train', 'aachen'))
    Image.fromarray(ids).save(osp.join(root, 'gtFine', 'train', 'aachen', f'{name}_gtFine_instanceIds.png'))
    os.makedirs(osp.join(root, 'leftImg8bit', 'train', 'aachen'))
    cv2.imwrite(osp.join(root, 'leftImg8bit', 'train', 'aachen', f'{name}_leftImg8bit.png'),
                np.zeros((16, 24, 3), np.uint8))
    load_tool('cityscapes_panoptic').main([root, '--splits', 'train', '--impl', 'builtin'])
    init_default_scope('mmpanoptic')
    dataset = CityscapesPanopticDataset(
        data_root=root, ann_file='gtFine/cityscapes_panoptic_train.json',
        data_prefix=dict(img='leftImg8bit/train/', seg='gtFine/cityscapes_panoptic_train/'), pipeline=PIPELINE,
        test_mode=True)
    info = dataset.get_data_info(0)
    assert info['img_id'] == name
    assert sorted((s['id'], s['iscrowd']) for s in info['segments_info']) == [(7, False), (26, True), (26001, False)]
    sample = dataset[0]['data_samples']
    sem = sample.gt_sem_seg.sem_seg[0].numpy()
    car, road = dataset.metainfo['classes'].index('car'), dataset.metainfo['classes'].index('road')
    assert sem[3, 3] == car and sem[9, 11] == car and sem[7, 20] == road
    assert (sem[:, -1] == 255).all() and (sem[-1, :4] == 255).all()
    assert sample.gt_instances.instances_ids.tolist() == [26001]
    assert sample.gt_instances.masks.masks[0].sum() == 24


def test_kitti_step_layouts(tmp_path):
    tool = load_tool('kitti_step')
    raw = tmp_path / 'raw'
    png = np.zeros((8, 12, 3), np.uint8)
    png[2:4, 2:4] = (13, 0, 4)  # car, track 4
    for frame in range(3):
        for folder in ('training/image_02/0002', 'panoptic_maps/val/0002'):
            os.makedirs(raw / folder, exist_ok=True)
            cv2.imwrite(str(raw / folder / f'{frame:06d}.png'), png[..., ::-1])
    out = str(tmp_path / 'kitti-step')
    assert tool.from_kitti(out, str(raw / 'training/image_02'), str(raw / 'panoptic_maps')) == 3
    flat = tmp_path / 'flat' / 'val'
    os.makedirs(flat)
    for frame in range(3):
        for kind in ('leftImg8bit', 'panoptic'):
            cv2.imwrite(str(flat / f'000002_{frame:06d}_{kind}.png'), png[..., ::-1])
    out_flat = str(tmp_path / 'kitti-step-flat')
    assert tool.from_video_knet(out_flat, str(tmp_path / 'flat'), copy=True) == 6
    init_default_scope('mmpanoptic')
    for root in (out, out_flat):
        dataset = KITTISTEPDataset(data_root=root, data_prefix=dict(img='images/val', seg='panoptic_maps/val'),
                                   test_mode=True)
        assert len(dataset) == 1 and dataset.get_len_per_video(0) == 3
        assert dataset.get_data_info(0)['video_id'] == '0002'
    os.remove(str(raw / 'training/image_02/0002/000001.png'))
    with pytest.raises(FileNotFoundError, match='image_02/0002/000001.png: missing'):
        tool.from_kitti(str(tmp_path / 'again'), str(raw / 'training/image_02'), str(raw / 'panoptic_maps'))
