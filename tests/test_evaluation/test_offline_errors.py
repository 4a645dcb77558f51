"""The offline evaluators ``eval_panoptic.py`` and ``eval_video_panoptic.py`` run in-process through ``main(argv)``:
bad input stops with SystemExit(1) and one ``error:`` line naming the file, the image or the flag; a progress
bar is drawn on a terminal only."""
import copy
import importlib.util
import io
import json
import os.path as osp
import sys

import numpy as np
import pytest
from PIL import Image

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CATEGORIES = [dict(id=1, name='disc', isthing=1), dict(id=2, name='ground', isthing=0)]
H, W = 4, 6


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO_ROOT, 'tools', 'analysis_tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def eval_panoptic():
    return load_tool('eval_panoptic')


@pytest.fixture(scope='module')
def eval_video():
    return load_tool('eval_video_panoptic')


def save_ids(path, ids: np.ndarray) -> None:
    """COCO-panoptic PNG of an (H, W) id map (ids below 256: R = id)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.stack([ids, 0 * ids, 0 * ids], -1).astype(np.uint8)).save(path)


class ImageData:
    """Two 4x6 images (ids 1 and 2): segment 1 ground on the left, segment 2 a disc on the right; the
    prediction is the ground truth."""

    def __init__(self, root):
        self.root = root
        ids = np.where(np.arange(W)[None] < W // 2, 1, 2).repeat(H, 0)
        segments = [dict(id=1, category_id=2, iscrowd=0), dict(id=2, category_id=1, iscrowd=0)]
        self.gt = dict(images=[dict(id=i, file_name=f'{i:06d}.jpg', height=H, width=W) for i in (1, 2)],
                       annotations=[dict(image_id=i, file_name=f'{i:06d}.png', segments_info=segments)
                                    for i in (1, 2)], categories=CATEGORIES)
        self.pred = dict(annotations=copy.deepcopy(self.gt['annotations']))
        for i in (1, 2):
            save_ids(root / 'gt' / f'{i:06d}.png', ids)
            save_ids(root / 'pred' / f'{i:06d}.png', ids)

    def argv(self, gt=None, pred=None) -> list:
        """Arguments of eval_panoptic.py with the (edited) JSON contents written."""
        gt_json, pred_json = self.root / 'gt.json', self.root / 'pred.json'
        gt_json.write_text(json.dumps(self.gt if gt is None else gt))
        pred_json.write_text(json.dumps(self.pred if pred is None else pred))
        return [str(gt_json), str(self.root / 'gt'), str(pred_json), str(self.root / 'pred'), '--nproc', '1']


@pytest.fixture
def image_data(tmp_path):
    return ImageData(tmp_path)


def error_line(main, argv, capsys, *fragments) -> str:
    """Run ``main(argv)``; it must exit with status 1 and print exactly one ``error:`` line holding
    ``fragments``."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: '), lines
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def test_perfect_prediction_scores_100(image_data, eval_panoptic, capsys):
    assert eval_panoptic.main(image_data.argv())['PQ'] == pytest.approx(100.0)
    assert capsys.readouterr().err == ''


@pytest.mark.parametrize('key', ['file_name', 'segments_info'])
def test_prediction_without_a_key(image_data, eval_panoptic, capsys, key):
    del image_data.pred['annotations'][1][key]
    error_line(eval_panoptic.main, image_data.argv(), capsys, 'pred.json', 'image_id 2', f"no '{key}'")


def test_ground_truth_with_a_duplicate_image(image_data, eval_panoptic, capsys):
    gt = copy.deepcopy(image_data.gt)
    gt['annotations'].append(copy.deepcopy(gt['annotations'][0]))
    error_line(eval_panoptic.main, image_data.argv(gt=gt), capsys, 'gt.json', 'image_id 1 has two annotations')


def test_missing_and_extra_predictions_name_the_image(image_data, eval_panoptic, capsys):
    pred = dict(annotations=image_data.pred['annotations'][:1])
    error_line(eval_panoptic.main, image_data.argv(pred=pred), capsys, 'pred.json', 'no prediction for 1',
               'gt.json', 'image_id [2]')
    pred = copy.deepcopy(image_data.pred)
    pred['annotations'].append(dict(pred['annotations'][0], image_id=3))
    error_line(eval_panoptic.main, image_data.argv(pred=pred), capsys, 'pred.json', 'not in', 'image_id [3]')


def test_image_ids_of_another_type(image_data, eval_panoptic, capsys):
    pred = copy.deepcopy(image_data.pred)
    for annotation in pred['annotations']:
        annotation['image_id'] = str(annotation['image_id'])
    error_line(eval_panoptic.main, image_data.argv(pred=pred), capsys, 'pred.json', "image_id '1' (str)",
               'image_id 1 (int)', 'gt.json')


def test_category_id_as_a_string_shows_its_type(image_data, eval_panoptic, capsys):
    pred = copy.deepcopy(image_data.pred)
    pred['annotations'][0]['segments_info'][1]['category_id'] = '1'
    line = error_line(eval_panoptic.main, image_data.argv(pred=pred), capsys, 'pred.json', 'image_id 1',
                      "category_id '1' (str)", 'the category ids are int')
    assert 'category_id 1 ' not in line


def test_ground_truth_size_that_disagrees_with_the_png(image_data, eval_panoptic, capsys):
    gt = copy.deepcopy(image_data.gt)
    gt['images'][1]['height'] = H + 1
    error_line(eval_panoptic.main, image_data.argv(gt=gt), capsys, '000002.png', f'is {H}x{W}', 'gt.json',
               f'height {H + 1}, width {W}')


class FakeTerminal(io.StringIO):

    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(image_data, eval_panoptic, capsys, monkeypatch):
    eval_panoptic.main(image_data.argv())
    assert capsys.readouterr().err == ''
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, 'stderr', terminal)
    eval_panoptic.main(image_data.argv())
    assert '2/2' in terminal.getvalue() and '>>>' in terminal.getvalue()


def write_step(root) -> None:
    """KITTI-STEP ground truth and an equal prediction: sequence 0000, 2 frames of 4x6, class 0 (stuff) on
    the left, track 1 of class 1 (thing) on the right."""
    step = np.zeros((H, W, 3), np.uint8)
    step[:, W // 2:] = (1, 0, 1)
    for side in ('gt', 'pred'):
        for frame in range(2):
            path = root / side / '0000' / f'{frame:06d}.png'
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(step).save(path)


def test_video_progress_bar_only_on_a_terminal(tmp_path, eval_video, capsys, monkeypatch):
    write_step(tmp_path)
    argv = [str(tmp_path / 'gt'), str(tmp_path / 'pred'), '--format', 'kitti-step', '--num-classes', '2',
            '--things', '1', '--nproc', '1']
    assert eval_video.main(argv)['STQ'] == pytest.approx(100.0)
    assert capsys.readouterr().err == ''
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, 'stderr', terminal)
    eval_video.main(argv)
    assert '2/2' in terminal.getvalue()


@pytest.mark.parametrize('flags, flag', [
    (['--format', 'kitti-step', '--things', '9', '--num-classes', '7'], '--things'),
    (['--format', 'kitti-step', '--num-classes', '7'], '--things'),  # the default things 11 13
    (['--format', 'kitti-step', '--things', '1', '1', '--num-classes', '3'], '--things'),
    (['--format', 'kitti-step', '--num-classes', '0', '--things', '0'], '--num-classes'),
    (['--format', 'kitti-step', '--gt-json', 'gt.json'], '--gt-json'),
    (['--format', 'vipseg', '--gt-json', 'gt.json', '--num-classes', '7'], '--num-classes'),
    (['--format', 'cityscapes-vps', '--gt-json', 'gt.json', '--things', '3'], '--things'),
    (['--format', 'vipseg'], '--gt-json'),
    (['--format', 'kitti-step', '--metrics', 'STQ', '--windows', '1'], '--windows'),
    (['--format', 'kitti-step', '--metrics', 'STQ', '--class-mean', 'all'], '--class-mean'),
    (['--format', 'kitti-step', '--windows', '0', '2'], '--windows'),
    (['--format', 'kitti-step', '--metrics', 'VPQ', '--stq-drop-void-predictions'], '--stq-drop-void-predictions'),
    (['--format', 'kitti-step', '--nproc', '0'], '--nproc'),
])
def test_inconsistent_flags_are_refused_before_reading(tmp_path, eval_video, capsys, flags, flag):
    """The folders do not exist: the flags are checked first."""
    error_line(eval_video.main, [str(tmp_path / 'no_gt'), str(tmp_path / 'no_pred')] + flags, capsys,
               f'error: {flag}: ')


def write_vipseg(root) -> dict:
    """One VIPSeg video v1 of one frame (ground truth = prediction); returns the prediction JSON content."""
    ids = np.where(np.arange(W)[None] < W // 2, 1, 2).repeat(H, 0)
    save_ids(root / 'gt' / 'v1' / '00000000.png', ids)
    save_ids(root / 'pred' / 'pan_pred' / 'v1' / '00000000.png', ids)
    segments = [dict(id=1, category_id=2, iscrowd=0), dict(id=2, category_id=1, iscrowd=0)]
    frames = [dict(image_id='00000000', file_name='00000000.png', segments_info=segments)]
    (root / 'gt.json').write_text(json.dumps(dict(
        videos=[dict(video_id='v1', images=[dict(id='00000000', file_name='00000000.png', height=H, width=W)])],
        annotations=[dict(video_id='v1', annotations=frames)], categories=CATEGORIES)))
    return dict(annotations=[dict(video_id='v1', annotations=copy.deepcopy(frames))])


def test_video_prediction_errors_name_the_file_and_frame(tmp_path, eval_video, capsys):
    pred = write_vipseg(tmp_path)
    argv = [str(tmp_path / 'gt'), str(tmp_path / 'pred'), '--format', 'vipseg', '--gt-json',
            str(tmp_path / 'gt.json'), '--windows', '1', '--nproc', '1']
    pred_json = tmp_path / 'pred' / 'pred.json'
    pred_json.write_text(json.dumps(pred))
    assert eval_video.main(argv)['VPQ'] == pytest.approx(100.0)
    del pred['annotations'][0]['annotations'][0]['segments_info']
    pred_json.write_text(json.dumps(pred))
    error_line(eval_video.main, argv, capsys, 'pred.json', "video 'v1'", "no 'segments_info'")
    pred = write_vipseg(tmp_path)
    pred['annotations'].append(copy.deepcopy(pred['annotations'][0]))
    pred_json.write_text(json.dumps(pred))
    error_line(eval_video.main, argv, capsys, 'pred.json', "video 'v1' is listed twice")
    gt = json.loads((tmp_path / 'gt.json').read_text())
    gt['videos'][0]['images'][0]['width'] = W + 2
    pred_json.write_text(json.dumps(write_vipseg(tmp_path)))
    (tmp_path / 'gt.json').write_text(json.dumps(gt))
    error_line(eval_video.main, argv, capsys, '00000000.png', 'gt.json', f'width {W + 2}')
