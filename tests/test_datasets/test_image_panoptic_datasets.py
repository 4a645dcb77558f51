"""Image panoptic datasets: fake native layouts written by the test, through train and test pipelines."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope
from panopticapi.utils import id2rgb

from mmpanoptic.datasets import (ADE20KPanopticDataset, CityscapesPanopticDataset, CocoPanopticDataset,
                                 MapillaryVistasPanopticDataset)
from mmpanoptic.errors import DataError

H, W = 32, 48
FIXTURES = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'data', 'coco_panoptic_sample')

TRAIN_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPanopticGT'),
    dict(type='RandomResize', scale=(W, H), ratio_range=(1.0, 1.5), keep_ratio=True),
    dict(type='InstanceAwareRandomCrop', crop_size=(40, 24)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='Pad', size=(40, 24), pad_val=dict(img=0, seg=255)),
    dict(type='PackPanopticInputs'),
]
TEST_PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadPanopticGT'), dict(type='PackPanopticInputs')]


def write_png(path, rgb):
    os.makedirs(osp.dirname(path), exist_ok=True)
    cv2.imwrite(path, np.ascontiguousarray(rgb[..., ::-1]))


def segment(seg_id, cat_id, mask, iscrowd=0):
    ys, xs = np.nonzero(mask)
    return dict(id=seg_id, category_id=cat_id, iscrowd=iscrowd, area=int(mask.sum()),
                bbox=[int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)])


def fake_image(stuff_cat, thing_cat, crowd=False):
    """Id map: stuff everywhere (id 1), thing instances ids 2 and 3, void column 0, optional crowd id 4."""
    ids = np.ones((H, W), np.int64)
    ids[4:12, 4:14] = 2
    ids[16:28, 24:40] = 3
    ids[:, 0] = 0
    segments = [segment(1, stuff_cat, ids == 1), segment(2, thing_cat, ids == 2), segment(3, thing_cat, ids == 3)]
    if crowd:
        ids[20:30, 2:8] = 4
        segments[0] = segment(1, stuff_cat, ids == 1)
        segments.append(segment(4, thing_cat, ids == 4, iscrowd=1))
    return ids, segments


def write_coco_panoptic(json_path, img_dir, png_dir, entries, categories, img_name, png_name):
    """entries: [(image_id, ids, segments)]; img_name/png_name map an image id to file paths."""
    images, annotations = [], []
    for image_id, ids, segments in entries:
        write_png(osp.join(img_dir, img_name(image_id)), np.full((H, W, 3), 100, np.uint8))
        write_png(osp.join(png_dir, png_name(image_id)), id2rgb(ids))
        images.append(dict(id=image_id, file_name=osp.basename(img_name(image_id)), height=H, width=W))
        annotations.append(dict(image_id=image_id, file_name=png_name(image_id), segments_info=segments))
    os.makedirs(osp.dirname(json_path), exist_ok=True)
    with open(json_path, 'w') as f:
        json.dump(dict(images=images, annotations=annotations, categories=categories), f)


def categories_of(dataset_cls):
    meta = dataset_cls.METAINFO
    num_things = len(meta['thing_classes'])
    return [dict(id=c, name=n, isthing=int(i < num_things))
            for i, (c, n) in enumerate(zip(meta['category_ids'], meta['classes']))]


def check_sample(out, thing_label, stuff_label, crowd):
    sample = out['data_samples']
    sem = sample.gt_sem_seg.sem_seg[0].numpy()
    assert out['inputs'].shape == (3, H, W)
    assert (sem[:, 0] == 255).all() and sem[1, 20] == stuff_label and sem[6, 6] == thing_label
    inst = sample.gt_instances
    assert inst.labels.tolist() == [thing_label, thing_label]
    assert inst.instances_ids.tolist() == [2, 3]
    assert inst.bboxes.tensor.tolist() == [[4, 4, 14, 12], [24, 16, 40, 28]]
    assert [int(m.sum()) for m in inst.masks.masks] == [80, 192]
    if crowd:
        assert sem[25, 4] == thing_label  # crowd keeps its class in the semantic map, but is no instance
    assert sample.metainfo['seg_map_path'].endswith('.png')


CASES = {
    'cityscapes': dict(
        cls=CityscapesPanopticDataset, stuff=(7, 'road'), thing=(26, 'car'), image_ids=['aachen_000000_000019'],
        data_prefix=dict(img='leftImg8bit/train/', seg='gtFine/cityscapes_panoptic_train/'),
        ann_file='gtFine/cityscapes_panoptic_train.json',
        img_name=lambda i: f'{i.split("_")[0]}/{i}_leftImg8bit.png', png_name=lambda i: f'{i}_gtFine_panoptic.png',
        img_dir='leftImg8bit/train', png_dir='gtFine/cityscapes_panoptic_train'),
    'ade20k': dict(
        cls=ADE20KPanopticDataset, stuff=(0, 'wall'), thing=(7, 'bed'), image_ids=['ADE_train_00000001'],
        data_prefix=dict(img='images/training/', seg='ade20k_panoptic_train/'), ann_file='ade20k_panoptic_train.json',
        img_name=lambda i: f'{i}.jpg', png_name=lambda i: f'{i}.png', img_dir='images/training',
        png_dir='ade20k_panoptic_train'),
    'vistas': dict(
        cls=MapillaryVistasPanopticDataset, stuff=(14, 'Road'), thing=(56, 'Car'), image_ids=['img0'],
        data_prefix=dict(img='training/images/', seg='training/panoptic/'),
        ann_file='training/panoptic/panoptic_2018.json', img_name=lambda i: f'{i}.jpg',
        png_name=lambda i: f'{i}.png', img_dir='training/images', png_dir='training/panoptic'),
}


@pytest.mark.parametrize('name', sorted(CASES))
def test_dataset_end_to_end(name, tmp_path):
    case = CASES[name]
    cls = case['cls']
    root = str(tmp_path)
    ids, segments = fake_image(case['stuff'][0], case['thing'][0], crowd=True)
    image_id = case['image_ids'][0]
    # the official Cityscapes file names the image "<id>_gtFine_leftImg8bit.png"; it must not matter
    write_coco_panoptic(osp.join(root, case['ann_file']), osp.join(root, case['img_dir']),
                        osp.join(root, case['png_dir']), [(image_id, ids, segments)], categories_of(cls),
                        case['img_name'], case['png_name'])
    meta = cls.METAINFO
    thing_label, stuff_label = meta['classes'].index(case['thing'][1]), meta['classes'].index(case['stuff'][1])
    assert thing_label < len(meta['thing_classes']) <= stuff_label
    init_default_scope('mmpanoptic')
    test_set = cls(data_root=root, ann_file=case['ann_file'], data_prefix=case['data_prefix'],
                   pipeline=TEST_PIPELINE, test_mode=True)
    assert test_set[0]['data_samples'].img_id == image_id
    check_sample(test_set[0], thing_label, stuff_label, crowd=True)
    train_set = cls(data_root=root, ann_file=case['ann_file'], data_prefix=case['data_prefix'],
                    pipeline=TRAIN_PIPELINE, filter_cfg=dict(filter_empty_gt=True, min_size=16))
    for _ in range(3):
        out = train_set[0]
        sample = out['data_samples']
        assert out['inputs'].shape == (3, 24, 40)
        sem = sample.gt_sem_seg.sem_seg[0].numpy()
        assert set(np.unique(sem)) <= {255, thing_label, stuff_label}
        assert set(sample.gt_instances.instances_ids.tolist()) <= {2, 3}
        assert len(sample.gt_instances.instances_ids) >= 1  # instance-aware crop keeps a thing centre


def test_coco_fixture_and_label_map(tmp_path):
    with open(osp.join(FIXTURES, 'panoptic_examples.json')) as f:
        content = json.load(f)
    root = str(tmp_path)
    for image in content['images']:
        write_png(osp.join(root, 'val2017', image['file_name']),
                  np.zeros((image['height'], image['width'], 3), np.uint8))
    init_default_scope('mmpanoptic')
    dataset = CocoPanopticDataset(
        ann_file=osp.join(FIXTURES, 'panoptic_examples.json'),
        data_prefix=dict(img=osp.join(root, 'val2017'), seg=osp.join(FIXTURES, 'panoptic_examples')),
        pipeline=TEST_PIPELINE, test_mode=True)
    assert len(dataset) == 2
    meta = dataset.metainfo
    for index, ann in enumerate(content['annotations']):
        out = dataset[index]
        sample = out['data_samples']
        sem = sample.gt_sem_seg.sem_seg[0].numpy()
        png = cv2.imread(sample.seg_map_path)[..., ::-1].astype(np.int64)
        pan = png[..., 0] + 256 * png[..., 1] + 65536 * png[..., 2]
        things = 0
        for seg in ann['segments_info']:
            label = meta['category_ids'].index(seg['category_id'])
            assert (sem[pan == seg['id']] == label).all()
            things += label < 80 and not seg['iscrowd']
        assert (sem[pan == 0] == 255).all()
        assert len(sample.gt_instances) == things


def test_bad_inputs(tmp_path):
    root = str(tmp_path)
    case = CASES['cityscapes']
    ids, segments = fake_image(7, 26)
    ann_file = osp.join(root, case['ann_file'])
    write_coco_panoptic(ann_file, osp.join(root, case['img_dir']), osp.join(root, case['png_dir']),
                        [('aachen_000000_000019', ids, segments)], categories_of(CityscapesPanopticDataset),
                        case['img_name'], case['png_name'])
    init_default_scope('mmpanoptic')

    def build(pipeline=TEST_PIPELINE, **kwargs):
        return CityscapesPanopticDataset(data_root=root, ann_file=case['ann_file'],
                                         data_prefix=case['data_prefix'], pipeline=pipeline, **kwargs)

    content = json.load(open(ann_file))

    def rewrite(**changes):
        with open(ann_file, 'w') as f:
            json.dump(dict(content, **changes), f)

    rewrite(annotations=[dict(content['annotations'][0], segments_info=segments[:2] + [dict(segments[2],
                                                                                            category_id=99)])])
    with pytest.raises(DataError,
                       match=r'cityscapes_panoptic_train.json \(image .aachen.*\): segment 3: unknown category_id 99;'):
        build()
    rewrite(images=[], annotations=[])
    with pytest.raises(ValueError, match='cityscapes_panoptic_train.json: empty annotation file'):
        build()
    trainid_categories = [dict(c, id=c['id'] - 13 if c['isthing'] else c['id']) for c in content['categories']]
    rewrite(categories=[dict(id=11, name='person', isthing=1)] + trainid_categories[8:])
    with pytest.raises(ValueError, match='category id 11 .* isthing=1, but the dataset declares it a stuff'):
        build()
    rewrite()
    dataset = build()
    os.remove(osp.join(root, 'leftImg8bit/train/aachen/aachen_000000_000019_leftImg8bit.png'))
    with pytest.raises(FileNotFoundError, match='aachen_000000_000019_leftImg8bit.png'):
        dataset[0]
    write_png(osp.join(root, 'leftImg8bit/train/aachen/aachen_000000_000019_leftImg8bit.png'),
              np.zeros((H + 2, W, 3), np.uint8))
    with pytest.raises(DataError, match=r'aachen_000000_000019_leftImg8bit.png: image is 48x34 \(WxH\) but the '
                       r"annotation file entry of image 'aachen_000000_000019' says 48x32"):
        dataset[0]
    rewrite(images=[dict(content['images'][0], height=H + 2)])  # the file agrees with the image, not the PNG
    with pytest.raises(DataError, match=r'aachen_000000_000019_gtFine_panoptic.png: panoptic PNG is 48x32 .* is 48x34'):
        build()[0]
    rewrite()
    write_png(osp.join(root, 'leftImg8bit/train/aachen/aachen_000000_000019_leftImg8bit.png'),
              np.zeros((H, W, 3), np.uint8))
    # Test pipelines resize the image before loading the ground truth: the PNG is compared with the
    # original size, and stays at it (the metrics read it there).
    resized_first = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(2 * W, 2 * H), keep_ratio=True),
                     dict(type='LoadPanopticGT'), dict(type='PackPanopticInputs')]
    out = build(pipeline=resized_first, test_mode=True)[0]
    assert out['inputs'].shape[-2:] == (2 * H, 2 * W)
    assert out['data_samples'].gt_sem_seg.sem_seg.shape[-2:] == (H, W)
    rewrite(annotations=[dict(content['annotations'][0], segments_info=segments[:2])])
    with pytest.raises(ValueError, match=r'gtFine_panoptic.png: segment ids \[3\] of the PNG are not in'):
        build()[0]


def test_filter_counts_skipped_images(tmp_path):
    root = str(tmp_path)
    case = CASES['vistas']
    ids, segments = fake_image(14, 56)
    stuff_only = np.where(ids > 0, 1, 0)
    write_coco_panoptic(osp.join(root, case['ann_file']), osp.join(root, case['img_dir']),
                        osp.join(root, case['png_dir']),
                        [('a', ids, segments), ('b', stuff_only, [segment(1, 14, stuff_only == 1)])],
                        categories_of(MapillaryVistasPanopticDataset), case['img_name'], case['png_name'])
    init_default_scope('mmpanoptic')
    kwargs = dict(data_root=root, ann_file=case['ann_file'], data_prefix=case['data_prefix'], pipeline=[])
    assert len(MapillaryVistasPanopticDataset(filter_cfg=dict(filter_empty_gt=True), **kwargs)) == 1
    assert len(MapillaryVistasPanopticDataset(filter_cfg=dict(filter_empty_gt=True), test_mode=True,
                                              **kwargs)) == 2
