"""tools/dataset_converters/vipseg.py on a tiny fake VIPSeg release, read by VIPSegDataset."""
import importlib.util
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from PIL import Image

from mmpanoptic.datasets import VIPSegDataset

TOOL = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'dataset_converters', 'vipseg.py')
H, W = 16, 24  # raw frames; converted with --height 8
WALL, PERSON_0 = 1, 6100  # raw values: stuff class 1 (wall), instance 0 of raw class 61 (person)
VIDEOS = dict(train=('v1', ['00000000', '00000005']), val=('v2', ['00000003']), test=('v3', ['00000000']))


def load_tool():
    spec = importlib.util.spec_from_file_location('vipseg_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def save(path, array):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(array).save(path)


def raw_mask(t):
    mask = np.full((H, W), WALL, np.uint16)
    mask[4:8, 4 + 2 * t:12 + 2 * t] = PERSON_0
    mask[:2] = 0
    return mask


@pytest.fixture
def vipseg_root(tmp_path):
    root = str(tmp_path / 'VIPSeg')
    os.makedirs(root)
    for split, (video, frames) in VIDEOS.items():
        with open(osp.join(root, f'{split}.txt'), 'w') as f:
            f.write(f'{video}\n')
        for t, frame in enumerate(frames):
            save(osp.join(root, 'imgs', video, f'{frame}.jpg'), np.full((H, W, 3), 100, np.uint8))
            if split != 'test':
                save(osp.join(root, 'panomasks', video, f'{frame}.png'), raw_mask(t))
    return root


def test_conversion_read_by_dataset(vipseg_root, tmp_path):
    out = str(tmp_path / 'VIPSeg_720P')
    load_tool().main([vipseg_root, out, '--height', '8'])
    assert Image.open(osp.join(out, 'images', 'v3', '00000000.jpg')).size == (12, 8)  # test frames resized too
    assert not osp.exists(osp.join(out, 'panoptic_gt_VIPSeg_test.json'))
    raw_720p = np.array(Image.open(osp.join(out, 'panomasks', 'v1', '00000005.png')))
    assert raw_720p.shape == (8, 12) and raw_720p[3, 4] == PERSON_0
    init_default_scope('mmpanoptic')
    pipeline = [dict(type='TransformBroadcaster', transforms=[dict(type='LoadImageFromFile'),
                                                              dict(type='LoadPanopticGT')]),
                dict(type='PackVideoPanopticInputs')]
    dataset = VIPSegDataset(data_root=out, ann_file='panoptic_gt_VIPSeg_train.json',
                            data_prefix=dict(img='images/', seg='panomasksRGB/'), pipeline=pipeline, test_mode=True)
    assert len(dataset) == 1 and dataset.get_len_per_video(0) == 2
    person, wall = dataset.metainfo['classes'].index('person'), dataset.metainfo['classes'].index('wall')
    for t in range(2):
        sample = dataset[(0, t)]
        assert tuple(sample['inputs'].shape) == (1, 3, 8, 12)
        frame = sample['data_samples'].video_data_samples[0]
        assert frame.metainfo['frame_id'] == (0, 5)[t] and frame.metainfo['video_id'] == 'v1'
        sem = frame.gt_sem_seg.sem_seg[0].numpy()
        assert (sem[0] == 255).all() and sem[3, 2 + t] == person and sem[6, 0] == wall
        assert frame.gt_instances.instances_ids.tolist() == [PERSON_0]  # same id in both frames
        assert frame.gt_instances.masks.masks[0].sum() == 8
    val = VIPSegDataset(data_root=out, ann_file='panoptic_gt_VIPSeg_val.json',
                        data_prefix=dict(img='images/', seg='panomasksRGB/'), test_mode=True)
    assert val.get_data_info(0)['video_id'] == 'v2'
    segments = val.get_data_info(0)['images'][0]['segments_info']
    assert sorted((s['id'], s['category'], s['is_thing']) for s in segments) == [
        (WALL, wall, False), (PERSON_0, person, True)]


@pytest.mark.parametrize('damage, error, message', [
    ('unknown_class', ValueError, r'panomasks/v1/00000000.png: raw values \[12500\] have no class'),
    ('missing_mask', FileNotFoundError, r'panomasks/v2/00000003.png: missing'),
    ('size', ValueError, r'panomasks/v1/00000005.png: size 24x15 \(WxH\) differs from 24x16 of .*imgs/v1/'),
    ('missing_video', FileNotFoundError, r'imgs/v3: no frames for video \'v3\''),
])
def test_bad_input(vipseg_root, tmp_path, damage, error, message):
    if damage == 'unknown_class':
        mask = raw_mask(0)
        mask[-1, -1] = 12500
        save(osp.join(vipseg_root, 'panomasks', 'v1', '00000000.png'), mask)
    elif damage == 'missing_mask':
        os.remove(osp.join(vipseg_root, 'panomasks', 'v2', '00000003.png'))
    elif damage == 'size':
        save(osp.join(vipseg_root, 'panomasks', 'v1', '00000005.png'), raw_mask(1)[1:])
    else:
        os.remove(osp.join(vipseg_root, 'imgs', 'v3', '00000000.jpg'))
    with pytest.raises(error, match=message):
        load_tool().main([vipseg_root, str(tmp_path / 'out'), '--height', '8'])
