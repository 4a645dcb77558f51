"""tools/dataset_converters/cityscapes_vps.py on a tiny fake VPSNet release, read by CityscapesVPSDataset."""
import importlib.util
import json
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from PIL import Image

from mmpanoptic.datasets import CityscapesVPSDataset

TOOL = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'dataset_converters', 'cityscapes_vps.py')
H, W = 12, 20
ROAD, CAR, DYNAMIC = (128, 64, 128), (0, 0, 142), (111, 74, 0)
# (image id, image file name) of the labelled frames: video 1 has a new frame and the original frame 20.
FRAMES = [('0001_0001_frankfurt_000000_000005', 'newImg8bit'), ('0001_0002_frankfurt_000000_000019', 'leftImg8bit'),
          ('0002_0003_frankfurt_000001_000005', 'newImg8bit')]


def load_tool():
    spec = importlib.util.spec_from_file_location('cityscapes_vps_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def save(path, array):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(array).save(path)


def frame_maps(t):
    """Colour map and instanceIds map: road, car 26001 moving right, car pixels without instance, dynamic."""
    colour = np.zeros((H, W, 3), np.uint8)
    colour[...] = ROAD
    instance = np.full((H, W), 7, np.uint16)
    colour[2:6, 2 + t:8 + t] = CAR
    instance[2:6, 2 + t:8 + t] = 26001
    colour[8:10, 12:16] = CAR  # no instance: void
    instance[8:10, 12:16] = 26
    colour[-1] = DYNAMIC  # not evaluated: void
    return colour, instance


@pytest.fixture
def raw(tmp_path):
    root, sequence, gtfine = (str(tmp_path / name) for name in ('cityscapes_vps', 'sequence', 'gtFine'))
    images = []
    for t, (image_id, kind) in enumerate(FRAMES):
        name = image_id[10:]
        images.append(dict(id=image_id, file_name=f'{image_id}_{kind}.png', height=H, width=W))
        save(osp.join(sequence, 'frankfurt', f'{name}_leftImg8bit.png'), np.full((H, W, 3), 60 + t, np.uint8))
        colour, instance = frame_maps(t)
        if kind == 'leftImg8bit':  # the original Cityscapes annotation, read from gtFine
            save(osp.join(gtfine, 'frankfurt', f'{name}_gtFine_color.png'), np.dstack([colour, colour[..., :1]]))
            save(osp.join(gtfine, 'frankfurt', f'{name}_gtFine_instanceIds.png'), instance)
        else:
            save(osp.join(root, 'val', 'cls', f'{image_id}_final_mask.png'), colour)
            save(osp.join(root, 'val', 'inst', f'{image_id}_final_mask.png'), instance)
    save(osp.join(sequence, 'frankfurt', 'frankfurt_000000_000004_leftImg8bit.png'), np.zeros((H, W, 3), np.uint8))
    os.makedirs(root, exist_ok=True)
    with open(osp.join(root, 'panoptic_im_val_city_vps.json'), 'w') as f:
        json.dump(dict(images=images), f)
    with open(osp.join(root, 'im_all_info_val_city_vps.json'), 'w') as f:
        json.dump(dict(images=[dict(id=i, file_name=f'frankfurt_000000_0000{i:02d}_leftImg8bit.png')
                               for i in (4, 5, 19)]), f)
    return root, sequence, gtfine


def convert(raw):
    root, sequence, gtfine = raw
    load_tool().main([root, '--sequence', sequence, '--gtfine', gtfine, '--splits', 'val'])


def test_conversion_read_by_dataset(raw):
    convert(raw)
    root = raw[0]
    assert sorted(os.listdir(osp.join(root, 'val', 'img_all'))) == [
        f'frankfurt_000000_0000{i:02d}_leftImg8bit.png' for i in (4, 5, 19)]
    init_default_scope('mmpanoptic')
    pipeline = [dict(type='TransformBroadcaster', transforms=[dict(type='LoadImageFromFile'),
                                                              dict(type='LoadPanopticGT')]),
                dict(type='PackVideoPanopticInputs')]
    dataset = CityscapesVPSDataset(data_root=root, ann_file='panoptic_gt_val_city_vps.json',
                                   data_prefix=dict(img='val/img/', seg='val/panoptic_video/'), pipeline=pipeline,
                                   test_mode=True)
    assert len(dataset) == 2 and [dataset.get_len_per_video(i) for i in range(2)] == [2, 1]
    car, road = dataset.metainfo['classes'].index('car'), dataset.metainfo['classes'].index('road')
    for t in range(2):
        sample = dataset[(0, t)]
        frame = sample['data_samples'].video_data_samples[0]
        assert frame.metainfo['frame_id'] == t + 1 and frame.metainfo['video_id'] == '0001'
        assert frame.seg_map_path.endswith(('_final_mask.png', '_gtFine_color.png')[t])
        assert int(sample['inputs'][0, 0, 0, 0]) == 60 + t  # the linked leftImg8bit_sequence frame
        sem = frame.gt_sem_seg.sem_seg[0].numpy()
        assert sem[3, 3 + t] == car and sem[7, 1] == road
        assert (sem[8:10, 12:16] == 255).all() and (sem[-1] == 255).all()
        assert frame.gt_instances.instances_ids.tolist() == [14001]  # same id in both frames
        assert frame.gt_instances.labels.tolist() == [car]
        assert frame.gt_instances.masks.masks[0, 2:6, 2 + t:8 + t].all()
    segments = dataset.get_data_info(0)['images'][0]['segments_info']
    assert sorted((s['id'], s['category']) for s in segments) == [(1000, road), (14001, car)]


@pytest.mark.parametrize('damage, error, message', [
    ('colour', ValueError, r'val/cls/0001_0001_frankfurt_000000_000005_final_mask.png: colours \[\(1, 2, 3\)\] are '
     'no Cityscapes class'),
    ('missing_instance', FileNotFoundError, r'val/inst: no map of image \'0001_0001_frankfurt_000000_000005\''),
    ('missing_frame', FileNotFoundError, r'sequence/frankfurt/frankfurt_000000_000004_leftImg8bit.png: missing'),
    ('size', ValueError, r'gtFine_instanceIds.png: size 20x11 \(WxH\) differs'),
])
def test_bad_input(raw, damage, error, message):
    root, sequence, gtfine = raw
    if damage == 'colour':
        path = osp.join(root, 'val', 'cls', f'{FRAMES[0][0]}_final_mask.png')
        colour = np.array(Image.open(path))
        colour[0, 0] = (1, 2, 3)
        save(path, colour)
    elif damage == 'missing_instance':
        os.remove(osp.join(root, 'val', 'inst', f'{FRAMES[0][0]}_final_mask.png'))
    elif damage == 'missing_frame':
        os.remove(osp.join(sequence, 'frankfurt', 'frankfurt_000000_000004_leftImg8bit.png'))
    else:
        save(osp.join(gtfine, 'frankfurt', 'frankfurt_000000_000019_gtFine_instanceIds.png'),
             np.zeros((H - 1, W), np.uint16))
    with pytest.raises(error, match=message):
        convert(raw)
