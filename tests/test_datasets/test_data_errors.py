"""Bad data stops with one error naming the file (and the key or id): annotation files, images, PNGs.

Every case damages a fresh copy of a tiny generated synthetic-shapes dataset (or writes a minimal video
annotation file) and asserts the exact error type and message. ``test_data_errors_train_tool.py`` runs the
same damages through ``tools/train.py``.
"""
import json
import os
import pickle
import re
import shutil

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from mmpanoptic.datasets import (CityscapesVPSDataset, SyntheticShapesPanopticDataset, SyntheticShapesVideoDataset,
                                 VIPSegDataset)
from mmpanoptic.datasets.converters import read_json
from mmpanoptic.datasets.synthetic_shapes import generate_image_dataset, generate_video_dataset, read_generation_request
from mmpanoptic.datasets.transforms import LoadImageFromFile, LoadPanopticGT
from mmpanoptic.errors import ConfigError, DataError
from mmpanoptic.registry import TRANSFORMS

from annotation_edits import rewrite_json

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadPanopticGT'), dict(type='PackPanopticInputs')]
NUM_VAL = 4


@pytest.fixture(scope='module')
def pristine(tmp_path_factory):
    root = tmp_path_factory.mktemp('data_errors') / 'shapes'
    generate_image_dataset(str(root), seed=2, num_train=2, num_val=NUM_VAL, size=(64, 64))
    return root


@pytest.fixture
def root(pristine, tmp_path):
    """A fresh copy of the generated dataset, to damage."""
    copy = tmp_path / 'shapes'
    shutil.copytree(pristine, copy)
    return copy


def ann_file(root, split='val') -> str:
    return str(root / 'annotations' / f'panoptic_{split}.json')


def image_file(root, index=0, split='val') -> str:
    return str(root / split / f'{index:06d}.jpg')


def png_file(root, index=0, split='val') -> str:
    return str(root / 'annotations' / f'panoptic_{split}' / f'{index:06d}.png')


def edit(root, change, split='val') -> str:
    """Apply ``change`` to the loaded annotation file of ``split`` and write it back; return its path."""
    return rewrite_json(ann_file(root, split), change)


def build(root, split='val', test_mode=True, **kwargs):
    init_default_scope('mmpanoptic')
    return SyntheticShapesPanopticDataset(
        data_root=str(root), ann_file=f'annotations/panoptic_{split}.json',
        data_prefix=dict(img=f'{split}/', seg=f'annotations/panoptic_{split}/'), pipeline=PIPELINE,
        test_mode=test_mode, **kwargs)


def first_segment(root, split='val') -> dict:
    with open(ann_file(root, split)) as f:
        return json.load(f)['annotations'][0]['segments_info'][0]


# --------------------------------------------------------------------------------------------------
# Annotation files are read by load_json
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('split, test_mode', [('train', False), ('val', True)])
def test_broken_json_names_the_file_with_line_and_column(root, split, test_mode):
    path = ann_file(root, split)
    with open(path, 'w') as f:
        f.write('{"images": [\n  {"id": 0,\n')
    with pytest.raises(DataError, match=re.escape(path) + r': not valid JSON \(.* at line 3, column 1'):
        build(root, split, test_mode)


def test_pickle_annotation_files_are_refused(root, tmp_path):
    pkl = str(tmp_path / 'panoptic_val.pkl')
    with open(pkl, 'wb') as f:
        pickle.dump({'images': []}, f)
    expected = re.escape(pkl) + ': only JSON annotation files are read'
    init_default_scope('mmpanoptic')
    with pytest.raises(DataError, match=expected):
        SyntheticShapesPanopticDataset(ann_file=pkl, data_prefix=dict(img='', seg=''), test_mode=True)
    with pytest.raises(DataError, match=expected):
        CityscapesVPSDataset(ann_file=pkl, data_prefix=dict(img='', seg=''), test_mode=True)
    with pytest.raises(DataError, match=expected):
        VIPSegDataset(ann_file=pkl, data_prefix=dict(img='', seg=''), test_mode=True)
    with pytest.raises(DataError, match=expected):
        read_json(pkl)


def test_missing_top_level_key(root):
    path = edit(root, lambda c: c.pop('images'))
    with pytest.raises(DataError, match=re.escape(path) + r": missing top-level key\(s\) \['images'\]"):
        build(root)


def test_converter_and_generation_files_use_load_json(root):
    path = str(root / 'generation.json')
    with open(path, 'w') as f:
        f.write('{"kind": ')
    with pytest.raises(DataError, match=re.escape(path) + ': not valid JSON'):
        read_generation_request(str(root))
    with pytest.raises(DataError, match=re.escape(path) + r": missing top-level key\(s\) \['images'\]"):
        with open(path, 'w') as f:
            f.write('{"kind": "image"}')
        read_json(path, required=('images', ))


# --------------------------------------------------------------------------------------------------
# Content of the annotation file
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('category_id, shown', [(99, '99'), ('1', r"'1' \(str\)"), (1.0, r'1\.0 \(float\)')])
def test_unknown_category_id_names_file_image_id_and_type(root, category_id, shown):
    segment_id = first_segment(root)['id']
    path = edit(root, lambda c: c['annotations'][0]['segments_info'][0].update(category_id=category_id))
    with pytest.raises(DataError) as error:
        build(root)
    assert re.match(re.escape(path) + rf' \(image 0\): segment {segment_id}: unknown category_id {shown}; known ids: '
                    r'\[1, 2, 3, 4, 5, 6, 7\]', str(error.value)), str(error.value)


def test_category_id_of_another_type_in_categories(root):
    path = edit(root, lambda c: c['categories'][0].update(id='1'))
    with pytest.raises(DataError,
                       match=re.escape(path) + r": categories\[0\] \(ellipse\): id '1' \(str\) is not an int"):
        build(root)


@pytest.mark.parametrize('where', ['annotations', 'images'])
def test_image_ids_of_different_types(root, where):
    if where == 'annotations':
        path = edit(root, lambda c: c['annotations'][0].update(image_id='0'))
        shown, types = r"'0' \(str\)", 'int'
    else:
        path = edit(root, lambda c: [image.update(id=str(image['id'])) for image in c['images']])
        shown, types = '0', 'str'
    with pytest.raises(DataError, match=re.escape(path) + rf": annotations\[0\] \('000000.png'\): image_id {shown} has "
                       rf'another type than the ids of "images" \({types}\); the types differ'):
        build(root)


def test_image_without_annotation(root):
    path = edit(root, lambda c: c['annotations'].pop(1))
    with pytest.raises(DataError, match=re.escape(path) + r": image '000001.jpg' \(id 1\) has no annotation"):
        build(root)


def test_duplicate_image_id(root):
    path = edit(root, lambda c: c['images'][1].update(id=0))
    with pytest.raises(DataError, match=re.escape(path) + r": image id 0 is listed twice in \"images\" "
                       r"\('000000.jpg' and '000001.jpg'"):
        build(root)


def test_duplicate_annotations(root):
    path = edit(root, lambda c: c['annotations'][1].update(image_id=0))
    with pytest.raises(DataError, match=re.escape(path) + r": image id 0 has two annotations "
                       r"\('000000.png' and '000001.png'"):
        build(root)
    path = edit(root, lambda c: c['annotations'][1].update(image_id=1, file_name='000000.png'))
    with pytest.raises(DataError, match=re.escape(path) + ": images 0 and 1 have the same annotation PNG '000000.png'"):
        build(root)


@pytest.mark.parametrize('change, message', [
    (lambda c: c['images'][0].pop('height'), r'images\[0\]: no "height"'),
    (lambda c: c['images'][0].update(width='64'), r"images\[0\] \(image 0\): width '64' \(str\) is not a positive int"),
    (lambda c: c['annotations'][0].pop('segments_info'), r'annotations\[0\]: no "segments_info"'),
    (lambda c: c['annotations'][0]['segments_info'][0].pop('category_id'),
     r'\(image 0\): segment \d+: no "category_id"'),
    (lambda c: c['annotations'][0]['segments_info'][0].update(id='7'),
     r"\(image 0\): segments_info\[0\]: segment id '7' \(str\) is not a positive int"),
])
def test_malformed_entries(root, change, message):
    path = edit(root, change)
    with pytest.raises(DataError, match=re.escape(path) + '.*' + message):
        build(root)


def test_png_id_missing_from_segments_info(root):
    segment_id = first_segment(root)['id']
    edit(root, lambda c: c['annotations'][0]['segments_info'].pop(0))
    dataset = build(root)
    with pytest.raises(DataError, match=re.escape(png_file(root)) + rf': segment ids \[{segment_id}\] of the PNG are '
                       r"not in the annotation's segments_info"):
        dataset[0]


def test_gt_png_of_wrong_size(root):
    cv2.imwrite(png_file(root), np.zeros((64, 48, 3), np.uint8))
    with pytest.raises(DataError, match=re.escape(png_file(root)) + r': panoptic PNG is 48x64 \(WxH\) but its image '
                       + re.escape(image_file(root)) + ' is 64x64'):
        build(root)[0]


# --------------------------------------------------------------------------------------------------
# Images (LoadImageFromFile) and ground-truth PNGs (LoadPanopticGT)
# --------------------------------------------------------------------------------------------------

def corrupt(path: str) -> None:
    """Keep the first 20 bytes (the JPEG or PNG signature and the start of its header), then zeros."""
    with open(path, 'rb') as f:
        head = f.read(20)
    with open(path, 'wb') as f:
        f.write(head + bytes(500))


def truncate(path: str) -> None:
    with open(path, 'wb'):
        pass


def test_missing_image(root):
    os.remove(image_file(root))
    with pytest.raises(FileNotFoundError, match=re.escape(image_file(root)) + ': image not found'):
        build(root)[0]


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
@pytest.mark.parametrize('damage', ['empty', 'corrupt_jpeg', 'png_bytes'])
def test_bad_image_bytes(root, damage, backend):
    path = image_file(root)
    if damage == 'empty':
        truncate(path)
        message = re.escape(path) + r': empty image file \(0 bytes'
    else:
        if damage == 'png_bytes':
            shutil.copyfile(png_file(root), path)
            corrupt(path)
        else:
            corrupt(path)
        message = re.escape(path) + f': cannot decode the image with {backend}'
    results = dict(img_path=path, height=64, width=64, img_id=0)
    with pytest.raises(DataError) as error:
        LoadImageFromFile(imdecode_backend=backend)(dict(results))
    assert re.match(message, str(error.value)), str(error.value)
    assert 'empty()' not in str(error.value) and '\n' not in str(error.value)
    assert LoadImageFromFile(imdecode_backend=backend, ignore_empty=True)(dict(results)) is None


def test_bad_image_through_the_dataset(root):
    corrupt(image_file(root))
    with pytest.raises(DataError, match=re.escape(image_file(root)) + ': cannot decode the image with cv2'):
        build(root)[0]
    truncate(image_file(root, 1))
    with pytest.raises(DataError, match=re.escape(image_file(root, 1)) + ': empty image file'):
        build(root)[1]


def test_image_size_differs_from_the_annotation_file(root):
    edit(root, lambda c: c['images'][0].update(height=48))
    dataset = build(root)
    with pytest.raises(DataError, match=re.escape(image_file(root)) + r': image is 64x64 \(WxH\) but the annotation '
                       'file entry of image 0 says 64x48'):
        dataset[0]
    cv2.imwrite(image_file(root, 1), np.zeros((64, 50, 3), np.uint8))
    with pytest.raises(DataError, match=re.escape(image_file(root, 1)) + r': image is 50x64 \(WxH\) but .* says 64x64'):
        dataset[1]
    # a size mismatch is no empty image: ignore_empty does not hide it
    with pytest.raises(DataError, match='image is 50x64'):
        LoadImageFromFile(ignore_empty=True)(dict(img_path=image_file(root, 1), height=64, width=64))


def test_load_image_from_file_is_mmcvs_with_checks(root):
    from mmcv.transforms import LoadImageFromFile as MMCVLoadImageFromFile
    init_default_scope('mmpanoptic')
    assert type(TRANSFORMS.build(dict(type='LoadImageFromFile'))) is LoadImageFromFile
    broadcaster = TRANSFORMS.build(dict(type='TransformBroadcaster', transforms=[dict(type='LoadImageFromFile')]))
    assert type(broadcaster.transforms.transforms[0]) is LoadImageFromFile  # as the video configs build it
    assert type(TRANSFORMS.build(dict(type='mmcv.LoadImageFromFile'))) is MMCVLoadImageFromFile
    assert issubclass(LoadImageFromFile, MMCVLoadImageFromFile)
    path = image_file(root)
    for kwargs in (dict(), dict(to_float32=True), dict(color_type='grayscale'), dict(imdecode_backend='pillow'),
                   dict(color_type='unchanged', backend_args=None)):
        ours = LoadImageFromFile(**kwargs)(dict(img_path=path, height=64, width=64))
        theirs = MMCVLoadImageFromFile(**kwargs)(dict(img_path=path))
        assert ours['img'].dtype == theirs['img'].dtype and (ours['img'] == theirs['img']).all()
        assert ours['img_shape'] == theirs['img_shape'] == ours['ori_shape'] == (64, 64)
    assert repr(LoadImageFromFile(to_float32=True)).startswith('LoadImageFromFile(ignore_empty=False, to_float32=True')
    with pytest.raises(ConfigError, match="LoadImageFromFile: imdecode_backend 'cv3' is not one of"):
        LoadImageFromFile(imdecode_backend='cv3')


@pytest.mark.parametrize('damage', ['missing', 'empty', 'corrupt'])
def test_bad_panoptic_png(root, damage):
    path = png_file(root)
    if damage == 'missing':
        os.remove(path)
        error, message = FileNotFoundError, re.escape(path) + ': panoptic PNG not found'
    elif damage == 'empty':
        truncate(path)
        error, message = DataError, re.escape(path) + r': empty panoptic PNG file \(0 bytes'
    else:
        corrupt(path)
        error, message = DataError, re.escape(path) + ': cannot decode the panoptic PNG with cv2'
    with pytest.raises(error) as raised:
        build(root)[0]
    assert re.match(message, str(raised.value)), str(raised.value)
    assert 'empty()' not in str(raised.value)
    with pytest.raises(ConfigError, match="LoadPanopticGT: imdecode_backend 'png' is not one of"):
        LoadPanopticGT(imdecode_backend='png')


# --------------------------------------------------------------------------------------------------
# Video annotation files (no image is read while loading them)
# --------------------------------------------------------------------------------------------------

def write_json(path, content) -> str:
    with open(path, 'w') as f:
        json.dump(content, f)
    return str(path)


def vps_content():
    ids = [f'0001_000{t}_frankfurt_000000_00000{t}' for t in (1, 2)]
    return dict(
        images=[dict(id=i, file_name=f'{i}_leftImg8bit.png', height=8, width=8) for i in ids],
        annotations=[dict(image_id=i, file_name=f'{i}_final_mask.png', segments_info=[dict(id=1, category_id=0)])
                     for i in ids])


@pytest.mark.parametrize('change, message', [
    (lambda c: c['annotations'][1].update(image_id=c['annotations'][0]['image_id']),
     "image id '0001_0001_frankfurt_000000_000001' has two annotations"),
    (lambda c: c['annotations'][0].update(image_id=1),
     r'annotations\[0\] .*: image_id 1 has another type than the ids of "images" \(str\); the types differ'),
    (lambda c: c['annotations'].pop(1),
     r"image '0001_0002_frankfurt_000000_000002_leftImg8bit.png' .* has no annotation"),
    (lambda c: c['annotations'][0]['segments_info'][0].update(category_id='0'),
     r"\(image '0001_0001_frankfurt_000000_000001'\): segment 1: unknown category_id '0' \(str\)"),
    (lambda c: c['images'][1].update(id=c['images'][0]['id']), 'is listed twice in "images"'),
])
def test_cityscapes_vps_annotation_checks(tmp_path, change, message):
    content = vps_content()
    change(content)
    path = write_json(tmp_path / 'panoptic_gt_val_city_vps.json', content)
    init_default_scope('mmpanoptic')
    with pytest.raises(DataError, match=re.escape(path) + '.*' + message):
        CityscapesVPSDataset(ann_file=path, data_prefix=dict(img='img/', seg='seg/'), test_mode=True)


def vipseg_content():
    images = [dict(id=f'{t:08d}', file_name=f'{t:08d}.jpg', height=8, width=8) for t in (1, 6)]
    anns = [dict(image_id=f'{t:08d}', file_name=f'{t:08d}.png', segments_info=[dict(id=1, category_id=0)])
            for t in (1, 6)]
    return dict(videos=[dict(video_id='v1', images=images)], annotations=[dict(video_id='v1', annotations=anns)])


@pytest.mark.parametrize('change, message', [
    (lambda c: c['videos'].append(c['videos'][0]), "video 'v1' is listed twice in \"videos\""),
    (lambda c: c['annotations'][0].update(video_id='v2'), r"\"annotations\" has videos \['v2'\] that are not in"),
    (lambda c: c['annotations'][0]['annotations'][1].update(image_id='00000001'),
     r"\(video 'v1'\): image id '00000001' has two annotations"),
    (lambda c: c['annotations'][0]['annotations'].pop(0), r"\(video 'v1'\): frame '00000001.jpg' has no annotation"),
])
def test_vipseg_annotation_checks(tmp_path, change, message):
    content = vipseg_content()
    change(content)
    path = write_json(tmp_path / 'panoptic_gt_VIPSeg_val.json', content)
    init_default_scope('mmpanoptic')
    with pytest.raises(DataError, match=re.escape(path) + '.*' + message):
        VIPSegDataset(ann_file=path, data_prefix=dict(img='img/', seg='seg/'), test_mode=True)


# --------------------------------------------------------------------------------------------------
# Partial evaluation marker
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('indices, reason', [(2, 'indices=2'), ([0, 2, 3], 'indices=[0, 2, 3]'),
                                             ((3, 2, 1), 'indices=[3, 2, 1]')])
def test_subset_of_a_test_set_is_marked(pristine, indices, reason):
    dataset = build(pristine, indices=indices)
    size = indices if isinstance(indices, int) else len(indices)
    assert len(dataset) == size
    assert dataset.metainfo['subset'] == dict(ann_file=ann_file(pristine), size=size, total=NUM_VAL, reason=reason)


def test_subset_marker_only_when_partial_and_testing(pristine):
    assert 'subset' not in build(pristine).metainfo
    assert 'subset' not in build(pristine, indices=NUM_VAL).metainfo  # every image kept
    assert 'subset' not in build(pristine, split='train', test_mode=False, indices=1).metainfo  # training
    lazy = build(pristine, indices=1, lazy_init=True)
    assert 'subset' not in lazy.metainfo
    lazy.full_init()
    assert lazy.metainfo['subset']['size'] == 1


def test_subset_of_a_video_test_set_counts_videos(tmp_path):
    root = str(tmp_path / 'video')
    generate_video_dataset(root, seed=1, num_train=1, num_val=3, size=(32, 48), num_frames=2)
    init_default_scope('mmpanoptic')
    kwargs = dict(data_root=root, data_prefix=dict(img='images/val', seg='panoptic_maps/val'), test_mode=True)
    dataset = SyntheticShapesVideoDataset(indices=[1], **kwargs)
    assert dataset.metainfo['subset'] == dict(ann_file=os.path.join(root, 'images/val'), size=1, total=3,
                                              reason='indices=[1]')
    assert 'subset' not in SyntheticShapesVideoDataset(**kwargs).metainfo
