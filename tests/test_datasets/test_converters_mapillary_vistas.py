"""tools/dataset_converters/mapillary_vistas.py on a tiny fake v1.2 release, read by MapillaryVistasPanopticDataset."""
import importlib.util
import json
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from panopticapi.utils import id2rgb
from PIL import Image

from mmpanoptic.datasets import MapillaryVistasPanopticDataset
from mmpanoptic.datasets.mapillary_vistas_panoptic import VISTAS_CATEGORIES

TOOL = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'dataset_converters', 'mapillary_vistas.py')
H, W = 12, 20
ROAD, CAR = 14, 56  # category ids (stuff, thing)


def load_tool():
    spec = importlib.util.spec_from_file_location('mapillary_vistas_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def save(path, array):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(array).save(path)


@pytest.fixture
def vistas_root(tmp_path):
    root = str(tmp_path)
    ids = np.full((H, W), 7, np.int64)
    ids[3:7, 4:10] = 123456  # a car
    ids[0] = 0
    folder = osp.join(root, 'validation')
    save(osp.join(folder, 'images', 'abc.jpg'), np.full((H, W, 3), 40, np.uint8))
    save(osp.join(folder, 'panoptic', 'abc.png'), id2rgb(ids))
    content = dict(
        images=[dict(id='abc', file_name='abc.jpg', height=H, width=W)],
        annotations=[dict(image_id='abc', file_name='abc.png', segments_info=[
            dict(id=7, category_id=ROAD, iscrowd=0, area=int((ids == 7).sum()), bbox=[0, 1, W, H - 1]),
            dict(id=123456, category_id=CAR, iscrowd=0, area=24, bbox=[4, 3, 6, 4])])],
        categories=[dict(id=c[0], name=c[1], isthing=int(c[2]), color=list(c[3])) for c in VISTAS_CATEGORIES])
    with open(osp.join(folder, 'panoptic', 'panoptic_2018.json'), 'w') as f:
        json.dump(content, f)
    return root


def test_check_and_load(vistas_root, capsys):
    load_tool().main([vistas_root, '--splits', 'validation', '--decode'])
    assert 'validation: OK, 1 images, 1 annotations, 2 segments' in capsys.readouterr().out
    init_default_scope('mmpanoptic')
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadPanopticGT'), dict(type='PackPanopticInputs')]
    dataset = MapillaryVistasPanopticDataset(
        data_root=vistas_root, ann_file='validation/panoptic/panoptic_2018.json',
        data_prefix=dict(img='validation/images/', seg='validation/panoptic/'), pipeline=pipeline, test_mode=True)
    sample = dataset[0]['data_samples']
    classes = dataset.metainfo['classes']
    car, road = classes.index('Car'), classes.index('Road')
    assert car < 37 <= road
    sem = sample.gt_sem_seg.sem_seg[0].numpy()
    assert sem[4, 5] == car and sem[10, 1] == road and (sem[0] == 255).all()
    assert sample.gt_instances.instances_ids.tolist() == [123456]


def rewrite_json(root, edit):
    path = osp.join(root, 'validation', 'panoptic', 'panoptic_2018.json')
    with open(path) as f:
        content = json.load(f)
    edit(content)
    with open(path, 'w') as f:
        json.dump(content, f)


@pytest.mark.parametrize('damage, error, message', [
    ('v2', ValueError, r'panoptic_2018.json: 66 categories, but Mapillary Vistas v1.2 has 65'),
    ('unknown_category', ValueError, r'panoptic_2018.json \(image \'abc\'\): segment \d+: unknown category_id 99;'),
    ('missing_image', FileNotFoundError, r'validation/images/abc.jpg: missing'),
    ('size', ValueError, r'validation/panoptic/abc.png: size 20x11 \(WxH\) differs from 20x12'),
    ('unlisted_segment', ValueError, r'abc.png: segment ids \[123456\] of the PNG are not in'),
])
def test_bad_input(vistas_root, damage, error, message):
    png_path = osp.join(vistas_root, 'validation', 'panoptic', 'abc.png')
    if damage == 'v2':
        rewrite_json(vistas_root, lambda c: c['categories'].append(dict(id=66, name='extra', isthing=0)))
    elif damage == 'unknown_category':
        rewrite_json(vistas_root, lambda c: c['annotations'][0]['segments_info'][0].update(category_id=99))
    elif damage == 'missing_image':
        os.remove(osp.join(vistas_root, 'validation', 'images', 'abc.jpg'))
    elif damage == 'size':
        save(png_path, np.zeros((H - 1, W, 3), np.uint8))
    else:
        rewrite_json(vistas_root, lambda c: c['annotations'][0]['segments_info'].pop())
    with pytest.raises(error, match=message):
        load_tool().main([vistas_root, '--splits', 'validation', '--decode'])
