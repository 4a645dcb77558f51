"""tools/dataset_converters/cityscapes_panoptic.py: cityscapesScripts and the built-in conversion on a fake raw
Cityscapes layout give the same partition, which CityscapesPanopticDataset reads."""
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope
from PIL import Image

from mmpanoptic.datasets import CityscapesPanopticDataset
from mmpanoptic.errors import DataError

TOOL = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'dataset_converters', 'cityscapes_panoptic.py')
H, W = 24, 40
# split -> image ids; several cities in train
IMAGES = dict(train=['aachen_000000_000019', 'aachen_000001_000019', 'bochum_000000_000313'],
              val=['frankfurt_000000_000294'])
PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadPanopticGT'), dict(type='PackPanopticInputs')]


def load_tool():
    spec = importlib.util.spec_from_file_location('cityscapes_panoptic_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def instance_ids(index: int) -> np.ndarray:
    """(H, W) uint16 instanceIds map: road, sky, two cars, a person, a crowd of cars, and classes that are not
    evaluated (unlabeled 0, static 4, caravan instance 29001, trailer region 30)."""
    ids = np.full((H, W), 7, np.uint16)  # road
    ids[:6] = 23  # sky
    ids[8:14, 2 + index:10 + index] = 26001  # car 1, moves with the index
    ids[8:12, 12:18] = 26002  # car 2
    ids[14:22, 20:24] = 24001 + index  # person
    ids[16:20, 2:8] = 26  # car pixels without an instance: crowd
    ids[:, -1] = 0
    ids[-1, :4] = 4
    ids[2:5, 26:32] = 29001
    ids[18:22, 30:34] = 30
    return ids


@pytest.fixture
def cityscapes_root(tmp_path):
    root = str(tmp_path / 'cityscapes')
    index = 0
    for split, image_ids in IMAGES.items():
        for image_id in image_ids:
            city = image_id.split('_')[0]
            for folder in ('gtFine', 'leftImg8bit'):
                os.makedirs(osp.join(root, folder, split, city), exist_ok=True)
            Image.fromarray(instance_ids(index)).save(
                osp.join(root, 'gtFine', split, city, f'{image_id}_gtFine_instanceIds.png'))
            cv2.imwrite(osp.join(root, 'leftImg8bit', split, city, f'{image_id}_leftImg8bit.png'),
                        np.full((H, W, 3), 90 + index, np.uint8))
            index += 1
    return root


def partition(json_path: str, png_dir: str):
    """The content of a converted split, independent of segment ids and of the order of the lists.

    Returns:
        tuple: sorted ``(id, file_name, height, width)`` of the images, sorted ``(id, name, isthing)`` of the
        categories, and per image id the PNG name, the sorted ``(category_id, iscrowd, area, bbox, mask
        bytes)`` of its segments and the bytes of its VOID mask.
    """
    with open(json_path) as f:
        content = json.load(f)
    segments = {}
    for ann in content['annotations']:
        rgb = np.array(Image.open(osp.join(png_dir, ann['file_name']))).astype(np.int64)
        ids = rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]
        assert set(np.unique(ids).tolist()) - {0} == {s['id'] for s in ann['segments_info']}
        entries = []
        for s in ann['segments_info']:
            mask = ids == s['id']
            assert s['area'] == mask.sum()
            entries.append((s['category_id'], int(s['iscrowd']), s['area'], tuple(s['bbox']), mask.tobytes()))
        segments[ann['image_id']] = (ann['file_name'], sorted(entries), (ids == 0).tobytes())
    images = sorted((i['id'], i['file_name'], i['height'], i['width']) for i in content['images'])
    categories = sorted((c['id'], c['name'], c['isthing']) for c in content['categories'])
    return images, categories, segments


def test_both_implementations_give_the_same_partition(cityscapes_root):
    tool = load_tool()
    builtin_dir = osp.join(cityscapes_root, 'builtin')
    tool.main([cityscapes_root])  # cityscapesscripts, into gtFine/
    tool.main([cityscapes_root, '--impl', 'builtin', '--out-dir', builtin_dir])
    gt_dir = osp.join(cityscapes_root, 'gtFine')
    for split, image_ids in IMAGES.items():
        official = partition(osp.join(gt_dir, f'cityscapes_panoptic_{split}.json'),
                             osp.join(gt_dir, f'cityscapes_panoptic_{split}'))
        builtin = partition(osp.join(builtin_dir, f'cityscapes_panoptic_{split}.json'),
                            osp.join(builtin_dir, f'cityscapes_panoptic_{split}'))
        assert official == builtin
        images, categories, segments = builtin
        assert [i[:2] for i in images] == [(i, f'{i}_gtFine_leftImg8bit.png') for i in image_ids]
        assert len(categories) == 19 and (26, 'car', 1) in categories and (7, 'road', 0) in categories
        for image_id in image_ids:
            png, entries, void = segments[image_id]
            assert png == f'{image_id}_gtFine_panoptic.png'
            # road, sky, car 1, car 2, person, crowd of cars; caravan, trailer, static and unlabeled are VOID
            assert sorted((e[0], e[1]) for e in entries) == [(7, 0), (23, 0), (24, 0), (26, 0), (26, 0), (26, 1)]
            assert np.frombuffer(void, bool).sum() == H + 4 + 18 + 16


def test_output_loads_in_the_dataset(cityscapes_root):
    tool = load_tool()
    builtin_dir = osp.join(cityscapes_root, 'builtin')
    tool.main([cityscapes_root, '--splits', 'val'])
    tool.main([cityscapes_root, '--splits', 'val', '--impl', 'builtin', '--out-dir', builtin_dir])
    init_default_scope('mmpanoptic')
    samples = []
    for out_dir in (osp.join(cityscapes_root, 'gtFine'), builtin_dir):
        dataset = CityscapesPanopticDataset(
            data_root=cityscapes_root, ann_file=osp.join(out_dir, 'cityscapes_panoptic_val.json'),
            data_prefix=dict(img='leftImg8bit/val/', seg=osp.join(out_dir, 'cityscapes_panoptic_val')),
            pipeline=PIPELINE, test_mode=True)
        assert len(dataset) == 1 and dataset.get_data_info(0)['img_id'] == IMAGES['val'][0]
        samples.append(dataset[0]['data_samples'])
    classes = CityscapesPanopticDataset.METAINFO['classes']
    for sample in samples:
        sem = sample.gt_sem_seg.sem_seg[0].numpy()
        assert sem[0, 0] == classes.index('sky') and sem[23, 10] == classes.index('road')
        assert sem[10, 5] == classes.index('car') and sem[17, 4] == classes.index('car')  # crowd keeps its class
        assert sem[3, 28] == 255 and sem[20, 31] == 255 and (sem[:, -1] == 255).all()
        assert sorted(sample.gt_instances.instances_ids.tolist()) == [24004, 26001, 26002]
    assert (samples[0].gt_sem_seg.sem_seg == samples[1].gt_sem_seg.sem_seg).all()


@pytest.mark.parametrize('impl', ['builtin', 'cityscapesscripts'])
def test_unknown_label_id_is_one_error_line(cityscapes_root, impl, capsys):
    path = osp.join(cityscapes_root, 'gtFine', 'val', 'frankfurt', f'{IMAGES["val"][0]}_gtFine_instanceIds.png')
    ids = instance_ids(0)
    ids[0, 0] = 99
    Image.fromarray(ids).save(path)
    with pytest.raises(SystemExit) as exc:
        load_tool().main([cityscapes_root, '--splits', 'val', '--impl', impl])
    assert exc.value.code == 1
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith('error: ')]
    expected = (f'{path}: value 99 has labelId 99, which is no Cityscapes labelId' if impl == 'builtin' else
                f'{osp.join(cityscapes_root, "gtFine", "val")}: cityscapesscripts found labelId 99')
    assert len(lines) == 1 and lines[0].startswith(f'error: {expected}')


def test_missing_split_and_corrupt_png(cityscapes_root):
    tool = load_tool()
    with pytest.raises(FileNotFoundError, match=r'gtFine/test: no <city>/\*_gtFine_instanceIds.png files'):
        tool.main.__wrapped__([cityscapes_root, '--splits', 'test'])
    path = osp.join(cityscapes_root, 'gtFine', 'val', 'frankfurt', f'{IMAGES["val"][0]}_gtFine_instanceIds.png')
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n broken')
    with pytest.raises(DataError, match=f'{path}: cannot decode the PNG'):
        tool.main.__wrapped__([cityscapes_root, '--splits', 'val', '--impl', 'builtin'])
    with pytest.raises(DataError, match='cityscapesscripts cannot read a PNG'):
        tool.main.__wrapped__([cityscapes_root, '--splits', 'val'])


def test_help_does_not_import_torch():
    code = ('import runpy, sys\n'
            f'sys.argv = [{TOOL!r}, "--help"]\n'
            'try:\n'
            f'    runpy.run_path({TOOL!r}, run_name="__main__")\n'
            'except SystemExit as exit:\n'
            '    assert exit.code == 0\n'
            'assert "torch" not in sys.modules and "cityscapesscripts" not in sys.modules, "heavy import"\n')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert '--impl {cityscapesscripts,builtin}' in result.stdout
