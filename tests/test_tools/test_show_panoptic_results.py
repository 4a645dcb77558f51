"""tools/misc/show_panoptic_results.py: image | ground truth | prediction rows from the predictions of
``tools/test.py --out RESULTS.pth``, which are read without running code."""
import importlib.util
import json
import os.path as osp
import pickle

import cv2
import numpy as np
import pytest
import torch
from mmdet.evaluation.functional import INSTANCE_OFFSET
from panopticapi.utils import rgb2id

from mmpanoptic.datasets.synthetic_shapes import generate_image_dataset
from mmpanoptic.datasets.synthetic_shapes_meta import CLASSES, THING_CLASSES
from mmpanoptic.evaluation.metrics.dump_results import FORMAT, save_predictions

CONFIG = 'configs/_base_/datasets/synthetic_shapes_panoptic.py'


@pytest.fixture(scope='module')
def tool(repo_root):
    spec = importlib.util.spec_from_file_location('show_panoptic_results',
                                                  osp.join(repo_root, 'tools', 'misc', 'show_panoptic_results.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def perfect_prediction(data_root, index):
    """The ground truth of val image ``index`` as a ``label + instance * INSTANCE_OFFSET`` map, with things
    numbered 1..N in ``segments_info`` order."""
    with open(osp.join(data_root, 'annotations', 'panoptic_val.json')) as f:
        ann = json.load(f)['annotations'][index]
    ids = rgb2id(cv2.imread(osp.join(data_root, 'annotations', 'panoptic_val', ann['file_name']))[..., ::-1])
    panoptic = np.full(ids.shape, len(CLASSES))
    things = 0
    for segment in ann['segments_info']:
        label = segment['category_id'] - 1
        things += label < len(THING_CLASSES)
        panoptic[ids == segment['id']] = label + (things * INSTANCE_OFFSET if label < len(THING_CLASSES) else 0)
    return panoptic


def test_perfect_prediction_is_drawn_like_the_ground_truth(tmp_path, repo_root, tool, monkeypatch):
    data_root = tmp_path / 'shapes'
    generate_image_dataset(str(data_root), seed=2, num_train=1, num_val=3, size=(48, 40))
    results = []
    for index in range(3):
        name = f'{index:06d}'
        panoptic = perfect_prediction(str(data_root), index)
        results.append(dict(img_path=str(data_root / 'val' / f'{name}.jpg'), img_id=index, ori_shape=panoptic.shape,
                            pred_panoptic_seg=dict(sem_seg=torch.from_numpy(panoptic).to(torch.int32)[None])))
    save_predictions(results, str(tmp_path / 'results.pth'))
    monkeypatch.chdir(repo_root)
    out = tmp_path / 'picture.png'
    assert tool.main([CONFIG, str(tmp_path / 'results.pth'), str(out), '--num', '2', '--scale', '3', '--no-captions',
                      '--cfg-options', f'test_dataloader.dataset.data_root={data_root}/']) == 0
    picture = cv2.imread(str(out))
    assert picture.shape == (2 * 48 * 3 + 4, 3 * 40 * 3 + 8, 3)
    # without captions, and with equal instance ids for things, ground truth and prediction are the same drawing
    gt = picture[:144, 120 + 4:240 + 4]
    pred = picture[:144, 240 + 8:]
    image = picture[:144, :120]
    assert np.abs(gt.astype(int) - image).mean() > 10
    np.testing.assert_array_equal(gt, pred)


def test_prediction_decoding():
    from mmpanoptic.visualization.track_drawing import prediction_parts
    num_classes, num_things = len(CLASSES), len(THING_CLASSES)
    panoptic = np.array([[2 + 3 * INSTANCE_OFFSET, 5], [num_classes, 2 + 3 * INSTANCE_OFFSET]])
    semantic, masks, labels, ids = prediction_parts(panoptic, num_classes, num_things)
    assert semantic.tolist() == [[2, 5], [255, 2]]
    assert labels == [2] and ids == [3]
    assert masks.tolist() == [[[True, False], [False, True]]]


class CreatesMarker:
    """Unpickling this object opens (creates) ``path``: what a planted results file could do."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return open, (self.path, 'w')


@pytest.mark.parametrize('kind', ['plain pickle', 'torch.save'])
def test_planted_results_file_runs_no_code(tmp_path, repo_root, tool, monkeypatch, capsys, kind):
    marker = tmp_path / 'marker'
    results = tmp_path / 'results.pth'
    if kind == 'plain pickle':
        with open(results, 'wb') as f:
            pickle.dump([CreatesMarker(str(marker))], f)
    else:  # the predictions container, holding an object torch's allow-list refuses
        torch.save(dict(format=FORMAT, version=1, predictions=[CreatesMarker(str(marker))]), results)
    assert not marker.exists()
    monkeypatch.chdir(repo_root)
    with pytest.raises(SystemExit) as exit_info:
        tool.main([CONFIG, str(results), str(tmp_path / 'picture.png')])
    assert exit_info.value.code == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f'error: {results}: '), lines
    assert not marker.exists(), 'reading the results file ran code'
    assert not (tmp_path / 'picture.png').exists()
