"""tools/train.py on damaged copies of a tiny generated dataset: exit status 1 and one stderr line
``error: <file>: ...`` for every kind of bad data, before or at the first iteration.

In-process, as ``tests/test_tools/test_train_test_tools.py::test_user_errors_are_one_clear_line`` (whose
``write_tiny_config`` writes the config), with YOSO's tiny synthetic-shapes config: batch 2 of the 2 training
pictures, no dataloader workers, 1 iteration.
"""
import importlib.util
import json
import os
import os.path as osp
import pickle
import re
import shutil

import cv2
import numpy as np
import pytest

from mmpanoptic.datasets.synthetic_shapes import generate_image_dataset

from annotation_edits import rewrite_json

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = 'configs/yoso/yoso_r18-tiny_synthetic-shapes.py'
EXTRA = """
train_cfg = dict(max_iters=1, val_interval=100)
"""


def load_module(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


write_tiny_config = load_module('tool_test_fixtures',
                                osp.join(REPO, 'tests', 'test_tools', 'conftest.py')).write_tiny_config


@pytest.fixture(scope='module')
def train_tool():
    return load_module('train_tool', osp.join(REPO, 'tools', 'train.py'))


@pytest.fixture(scope='module')
def pristine(tmp_path_factory):
    root = tmp_path_factory.mktemp('train_errors') / 'data'
    generate_image_dataset(str(root), seed=4, num_train=2, num_val=2, size=(64, 64))
    return root


def edit_json(root, change) -> str:
    return rewrite_json(osp.join(root, 'annotations', 'panoptic_train.json'), change)


def write_bytes(path: str, content: bytes) -> None:
    with open(path, 'wb') as f:
        f.write(content)


def signature_then_zeros(path: str) -> None:
    """A corrupt file: its first 20 bytes (signature and start of the header), then zeros."""
    with open(path, 'rb') as f:
        head = f.read(20)
    write_bytes(path, head + bytes(500))


def damage(case: str, root: str) -> tuple:
    """Damage the training split of ``root``; return the ``--cfg-options`` to pass and the regex of the error
    line after ``error: ``, which starts with the file."""
    ann = osp.join(root, 'annotations', 'panoptic_train.json')
    image = osp.join(root, 'train', '000000.jpg')
    png = osp.join(root, 'annotations', 'panoptic_train', '000000.png')
    options = []
    with open(ann) as f:
        segment_id = json.load(f)['annotations'][0]['segments_info'][0]['id']
    if case == 'broken_json':
        write_bytes(ann, b'{"images": [{"id": 0,\n')
        expected = re.escape(ann) + r': not valid JSON \(.* at line 2, column 1'
    elif case == 'pickle_annotation_file':
        pkl = osp.join(root, 'annotations', 'panoptic_train.pkl')
        with open(pkl, 'wb') as f:
            pickle.dump({'images': []}, f)
        options = ['--cfg-options', 'train_dataloader.dataset.ann_file=annotations/panoptic_train.pkl']
        expected = re.escape(pkl) + ': only JSON annotation files are read'
    elif case == 'image_without_annotation':
        edit_json(root, lambda c: c['annotations'].pop(0))
        expected = re.escape(ann) + r": image '000000.jpg' \(id 0\) has no annotation"
    elif case == 'unknown_category_99':
        edit_json(root, lambda c: c['annotations'][0]['segments_info'][0].update(category_id=99))
        expected = re.escape(ann) + rf' \(image 0\): segment {segment_id}: unknown category_id 99;'
    elif case == 'image_id_types_differ':
        edit_json(root, lambda c: c['annotations'][0].update(image_id='0'))
        expected = re.escape(ann) + r".*image_id '0' \(str\) has another type than the ids of \"images\" \(int\)"
    elif case == 'png_id_missing_from_segments_info':
        edit_json(root, lambda c: c['annotations'][0]['segments_info'].pop(0))
        expected = re.escape(png) + rf': segment ids \[{segment_id}\] of the PNG are not in'
    elif case == 'png_of_wrong_size':
        cv2.imwrite(png, np.zeros((64, 48, 3), np.uint8))
        expected = re.escape(png) + r': panoptic PNG is 48x64 \(WxH\) but its image ' + re.escape(image) + ' is 64x64'
    elif case == 'missing_image':
        os.remove(image)
        expected = re.escape(image) + ': image not found'
    elif case == 'empty_image':
        write_bytes(image, b'')
        expected = re.escape(image) + r': empty image file \(0 bytes'
    elif case == 'corrupt_jpeg':
        signature_then_zeros(image)
        expected = re.escape(image) + ': cannot decode the image with cv2'
    elif case == 'empty_png':
        write_bytes(png, b'')
        expected = re.escape(png) + r': empty panoptic PNG file \(0 bytes'
    elif case == 'corrupt_png':
        signature_then_zeros(png)
        expected = re.escape(png) + ': cannot decode the panoptic PNG with cv2'
    else:
        assert case == 'json_size_differs_from_image'
        # same aspect ratio as the other picture, so that the aspect-ratio batch sampler puts both in batch 1
        edit_json(root, lambda c: c['images'][0].update(width=60, height=60))
        expected = re.escape(image) + r': image is 64x64 \(WxH\) but the annotation file entry of image 0 says 60x60'
    return options, expected


CASES = ['broken_json', 'pickle_annotation_file', 'image_without_annotation', 'unknown_category_99',
         'image_id_types_differ', 'png_id_missing_from_segments_info', 'png_of_wrong_size', 'missing_image',
         'empty_image', 'corrupt_jpeg', 'empty_png', 'corrupt_png', 'json_size_differs_from_image']


@pytest.mark.parametrize('case', CASES)
def test_bad_training_data_is_one_error_line(case, pristine, train_tool, tmp_path, capsys):
    data_root = tmp_path / 'data'
    shutil.copytree(pristine, data_root)
    options, expected = damage(case, str(data_root))
    config = write_tiny_config(tmp_path, CONFIG, data_root, EXTRA)
    work_dir = tmp_path / 'work'
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        with pytest.raises(SystemExit) as exc:
            train_tool.main([str(config), '--work-dir', str(work_dir)] + options)
    finally:
        os.chdir(cwd)
    assert exc.value.code == 1
    stderr = capsys.readouterr().err
    error_lines = [line for line in stderr.splitlines() if line.startswith('error: ')]
    assert len(error_lines) == 1 and re.match('error: ' + expected, error_lines[0]), stderr[-2000:]
    assert not list(work_dir.glob('*.pth'))  # stopped before the first iteration ended
