"""tools/dataset_converters/ade20k_panoptic.py on a tiny fake ADEChallengeData2016, read by ADE20KPanopticDataset."""
import importlib.util
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from PIL import Image

from mmpanoptic.datasets import ADE20KPanopticDataset
from mmpanoptic.errors import DataError

TOOL = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'dataset_converters', 'ade20k_panoptic.py')
H, W = 16, 24
NAME = 'ADE_val_00000001'
WALL, PERSON = 1, 13  # semantic PNG values (category ids 0 and 12)
PERSON_INSTANCE_CATEGORY = 4  # the 4th thing class in class-index order


def load_tool():
    spec = importlib.util.spec_from_file_location('ade20k_panoptic_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def save(path, array):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(array).save(path)


@pytest.fixture
def ade_root(tmp_path):
    """One validation image: wall, a person instance, person pixels without instance, an ignore pixel and a
    second person instance drawn over wall pixels of the semantic map."""
    root = str(tmp_path)
    semantic = np.full((H, W), WALL, np.uint8)
    semantic[2:6, 2:8] = PERSON
    semantic[8:12, 10:14] = PERSON  # no instance: void
    semantic[0, 0] = 0
    instance = np.zeros((H, W, 3), np.uint8)
    instance[2:6, 2:8] = (PERSON_INSTANCE_CATEGORY, 1, 0)
    instance[10:14, 2:6] = (PERSON_INSTANCE_CATEGORY, 2, 0)  # over wall in the semantic map
    save(osp.join(root, 'images', 'validation', f'{NAME}.jpg'), np.full((H, W, 3), 90, np.uint8))
    save(osp.join(root, 'annotations', 'validation', f'{NAME}.png'), semantic)
    save(osp.join(root, 'annotations_instance', 'validation', f'{NAME}.png'), instance)
    return root


def test_instance_categories_follow_the_official_mapping():
    """Pairs (instance category, semantic value) of Mask2Former's ade20k_instance_catid_mapping.txt."""
    tool = load_tool()
    is_thing, instance_to_category = tool.thing_tables(ADE20KPanopticDataset.METAINFO)
    assert is_thing.sum() == 100
    for instance_category, semantic_value in [(1, 8), (4, 13), (36, 63), (57, 89), (100, 150)]:
        assert instance_to_category[instance_category] == semantic_value - 1
    assert instance_to_category[0] == -1 and instance_to_category[101] == -1


def test_conversion_read_by_dataset(ade_root):
    load_tool().main([ade_root, '--splits', 'val'])
    init_default_scope('mmpanoptic')
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadPanopticGT'), dict(type='PackPanopticInputs')]
    dataset = ADE20KPanopticDataset(
        data_root=ade_root, ann_file='ade20k_panoptic_val.json',
        data_prefix=dict(img='images/validation/', seg='ade20k_panoptic_val/'), pipeline=pipeline,
        test_mode=True)
    info = dataset.get_data_info(0)
    assert info['img_id'] == NAME and info['img_path'].endswith(f'images/validation/{NAME}.jpg')
    classes = dataset.metainfo['classes']
    person, wall = classes.index('person'), classes.index('wall')
    assert sorted((s['id'], s['category'], s['is_thing']) for s in info['segments_info']) == [
        (1000, wall, False), (13001, person, True), (13002, person, True)]
    sample = dataset[0]['data_samples']
    sem = sample.gt_sem_seg.sem_seg[0].numpy()
    assert sem[3, 3] == person and sem[11, 3] == person and sem[7, 20] == wall
    assert sem[0, 0] == 255 and (sem[8:10, 10:14] == 255).all()  # ignore, thing pixels without instance
    assert (sem[12:14, 10:14] == wall).all()
    assert sample.gt_instances.instances_ids.tolist() == [13001, 13002]
    assert sample.gt_instances.masks.masks.sum(axis=(1, 2)).tolist() == [24, 16]
    assert sample.gt_instances.labels.tolist() == [person, person]


@pytest.mark.parametrize('damage, error, message', [
    ('unknown_value', ValueError, r'annotations/validation/ADE_val_00000001.png: unknown semantic values \[200\]'),
    ('unknown_instance', ValueError, r'annotations_instance/validation/ADE_val_00000001.png: unknown instance '
     'category 120'),
    ('missing_instance', FileNotFoundError, r'annotations_instance/validation/ADE_val_00000001.png: missing'),
    ('size', ValueError, r'annotations/validation/ADE_val_00000001.png: size 24x15 \(WxH\) differs'),
    ('corrupt', DataError, r'annotations/validation/ADE_val_00000001.png: cannot decode the PNG'),
])
def test_bad_input(ade_root, damage, error, message):
    semantic_path = osp.join(ade_root, 'annotations', 'validation', f'{NAME}.png')
    instance_path = osp.join(ade_root, 'annotations_instance', 'validation', f'{NAME}.png')
    if damage == 'unknown_value':
        semantic = np.array(Image.open(semantic_path))
        semantic[0, 1] = 200
        save(semantic_path, semantic)
    elif damage == 'unknown_instance':
        instance = np.array(Image.open(instance_path))
        instance[0, :2] = (120, 3, 0)
        save(instance_path, instance)
    elif damage == 'missing_instance':
        os.remove(instance_path)
    elif damage == 'size':
        save(semantic_path, np.ones((H - 1, W), np.uint8))
    else:
        with open(semantic_path, 'wb') as f:
            f.write(b'\x89PNG\r\n\x1a\n garbage')
    with pytest.raises(error, match=message):
        load_tool().main([ade_root, '--splits', 'val'])
