"""Tests of the synthetic shapes generators, their CLI and ``SyntheticShapesPanopticDataset``."""
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from panopticapi.utils import rgb2id

from mmpanoptic.datasets import synthetic_shapes as ss
from mmpanoptic.datasets.synthetic_shapes import generate_image_dataset, generate_video_dataset
from mmpanoptic.datasets.synthetic_shapes_meta import CLASSES, THING_CLASSES
from mmpanoptic.registry import DATASETS
from mmpanoptic.utils import register_all_modules

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
NUM_THINGS = len(THING_CLASSES)


def _files(root):
    """All files under root as {relative path: bytes}."""
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                out[osp.relpath(path, root)] = f.read()
    return out


def _read_ids(path):
    return rgb2id(cv2.imread(path, cv2.IMREAD_COLOR)[..., ::-1])


def _read_kitti(path):
    rgb = cv2.imread(path, cv2.IMREAD_COLOR)[..., ::-1].astype(np.int64)
    return rgb[..., 0], rgb[..., 1] * 256 + rgb[..., 2]


@pytest.fixture(scope='module')
def image_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('shapes') / 'image')
    summary = generate_image_dataset(root, seed=3, num_train=24, num_val=6)
    assert summary['train_images'] == 24 and summary['val_images'] == 6
    return root


@pytest.fixture(scope='module')
def video_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('shapes') / 'video')
    summary = generate_video_dataset(root, seed=5, num_train=4, num_val=2, num_frames=8)
    assert summary['train_frames'] == 32 and summary['val_frames'] == 16
    return root


# --------------------------------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------------------------------

def test_image_generation_is_deterministic_by_seed(tmp_path):
    generate_image_dataset(str(tmp_path / 'a'), seed=1, num_train=3, num_val=2)
    generate_image_dataset(str(tmp_path / 'b'), seed=1, num_train=3, num_val=2)
    generate_image_dataset(str(tmp_path / 'c'), seed=2, num_train=3, num_val=2)
    generate_image_dataset(str(tmp_path / 'd'), seed=1, num_train=5, num_val=2)
    a, b, c, d = (_files(str(tmp_path / x)) for x in 'abcd')
    assert len(a) == 3 + 2 + 3 + 2 + 2 + 1
    assert a == b
    pictures = [k for k in a if k.endswith(('.jpg', '.png'))]
    assert all(a[k] != c[k] for k in pictures)
    # each picture has its own random stream: more training images leave the val split unchanged
    assert all(a[k] == d[k] for k in a if k.startswith(('val', osp.join('annotations', 'panoptic_val'))))


def test_video_generation_is_deterministic_by_seed(tmp_path):
    generate_video_dataset(str(tmp_path / 'a'), seed=1, num_train=1, num_val=1, num_frames=3)
    generate_video_dataset(str(tmp_path / 'b'), seed=1, num_train=1, num_val=1, num_frames=3)
    generate_video_dataset(str(tmp_path / 'c'), seed=2, num_train=1, num_val=1, num_frames=3)
    a, b, c = (_files(str(tmp_path / x)) for x in 'abc')
    assert len(a) == 2 * 2 * 3 + 1
    assert a == b
    assert all(a[k] != c[k] for k in a if k.endswith('.png'))


# --------------------------------------------------------------------------------------------------
# Image dataset format and content
# --------------------------------------------------------------------------------------------------

def test_image_dataset_format(image_root):
    for split, count in (('train', 24), ('val', 6)):
        with open(osp.join(image_root, 'annotations', f'panoptic_{split}.json')) as f:
            data = json.load(f)
        assert [(c['id'], c['name'], c['isthing']) for c in data['categories']] == \
            [(i + 1, name, int(i < NUM_THINGS)) for i, name in enumerate(CLASSES)]
        assert sorted(os.listdir(osp.join(image_root, split))) == [f'{i:06d}.jpg' for i in range(count)]
        assert sorted(os.listdir(osp.join(image_root, 'annotations', f'panoptic_{split}'))) == \
            [f'{i:06d}.png' for i in range(count)]
        assert [i['id'] for i in data['images']] == [a['image_id'] for a in data['annotations']] == \
            list(range(count))
        for info, ann in zip(data['images'], data['annotations']):
            image = cv2.imread(osp.join(image_root, split, info['file_name']))
            assert image.shape == (info['height'], info['width'], 3) == (64, 64, 3)
            assert ann['file_name'] == info['file_name'].replace('.jpg', '.png')
            ids = _read_ids(osp.join(image_root, 'annotations', f'panoptic_{split}', ann['file_name']))
            segments = {s['id']: s for s in ann['segments_info']}
            assert len(segments) == len(ann['segments_info'])
            assert set(np.unique(ids)) - {0} == set(segments)
            stuff_categories = [s['category_id'] for s in segments.values() if s['category_id'] > NUM_THINGS]
            assert len(stuff_categories) == len(set(stuff_categories))
            for segment_id, segment in segments.items():
                ys, xs = np.nonzero(ids == segment_id)
                assert segment['area'] == xs.size >= ss.MIN_THING_AREA
                assert segment['bbox'] == [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]
                assert segment['iscrowd'] == 0
                assert segment['category_id'] == segment_id // ss.SEGMENT_ID_DIVISOR


def test_image_dataset_content(image_root):
    """Over the train split: every class, repeated classes, things at the border and touching, a
    little void, and stuff regions that are not straight bands."""
    with open(osp.join(image_root, 'annotations', 'panoptic_train.json')) as f:
        data = json.load(f)
    categories, void, repeated, at_border, touching = set(), [], 0, 0, 0
    for ann in data['annotations']:
        ids = _read_ids(osp.join(image_root, 'annotations', 'panoptic_train', ann['file_name']))
        things = [s for s in ann['segments_info'] if s['category_id'] <= NUM_THINGS]
        categories |= {s['category_id'] for s in ann['segments_info']}
        void.append((ids == 0).mean())
        thing_categories = [s['category_id'] for s in things]
        repeated += len(thing_categories) > len(set(thing_categories))
        at_border += sum(s['bbox'][0] == 0 or s['bbox'][1] == 0 or s['bbox'][0] + s['bbox'][2] == 64
                         or s['bbox'][1] + s['bbox'][3] == 64 for s in things)
        is_thing = ids % ss.SEGMENT_ID_DIVISOR > 0
        pairs = [(ids[:, 1:], ids[:, :-1], is_thing[:, 1:] & is_thing[:, :-1]),
                 (ids[1:], ids[:-1], is_thing[1:] & is_thing[:-1])]
        touching += any(((a != b) & both).any() for a, b, both in pairs)
    assert categories == set(range(1, len(CLASSES) + 1))
    assert repeated >= 6
    assert at_border >= 12
    assert touching >= 12
    assert 0 < np.mean(void) < 0.03 and np.count_nonzero(void) >= 6


def test_image_things_overlap_and_keep_visible_area():
    rows, cols = np.mgrid[0:64, 0:64].astype(np.float32)
    occluded = 0
    for index in range(20):
        things, owner = ss._image_things(ss._stream(0, 9, index), 64, 64)
        assert len(things) >= 1
        for k, thing in enumerate(things):
            full = ss._thing_mask(thing, rows, cols)
            visible = owner == k
            assert not (visible & ~full).any()
            assert visible.sum() >= max(ss.MIN_THING_AREA, full.sum() / 3)
            occluded += visible.sum() < full.sum()
    assert occluded >= 10


@pytest.mark.parametrize('label', range(NUM_THINGS))
def test_thing_masks_match_their_shape(label):
    rows, cols = np.mgrid[0:101, 0:101].astype(np.float32)
    thing = ss._Thing(label, 50.3, 50.2, 40.0, 20.0, 0.0, 0.0, 0.25, np.zeros(3, np.float32),
                      np.zeros(2, np.float32))
    area = ss._thing_mask(thing, rows, cols).sum()
    expected = {'ellipse': np.pi * 40 * 20, 'triangle': 2 * 40 * 20, 'rectangle': 4 * 40 * 20,
                'cross': 4 * 40 * 20 * 0.25 + 4 * 40 * 20 * 0.25 - 4 * 10 * 5}[THING_CLASSES[label]]
    assert abs(area - expected) / expected < 0.03


# --------------------------------------------------------------------------------------------------
# Video dataset format and content
# --------------------------------------------------------------------------------------------------

def test_video_dataset_format_and_tracks(video_root):
    entered = left = moved = 0
    for split, sequences in (('train', 4), ('val', 2)):
        assert sorted(os.listdir(osp.join(video_root, 'images', split))) == [f'{s:04d}' for s in range(sequences)]
        for sequence in range(sequences):
            frames = [f'{t:06d}.png' for t in range(8)]
            image_dir = osp.join(video_root, 'images', split, f'{sequence:04d}')
            map_dir = osp.join(video_root, 'panoptic_maps', split, f'{sequence:04d}')
            assert sorted(os.listdir(image_dir)) == sorted(os.listdir(map_dir)) == frames
            track_class, centres = {}, []
            for frame in frames:
                assert cv2.imread(osp.join(image_dir, frame)).shape == (64, 96, 3)
                labels, tracks = _read_kitti(osp.join(map_dir, frame))
                assert set(np.unique(labels)) <= set(range(len(CLASSES))) | {ss.VOID_LABEL}
                assert (tracks[labels >= NUM_THINGS] == 0).all()  # stuff and void have no id
                assert (tracks[labels < NUM_THINGS] > 0).all()
                centre = {}
                for track in np.unique(tracks[tracks > 0]):
                    classes = np.unique(labels[tracks == track])
                    assert classes.size == 1
                    assert track_class.setdefault(track, classes[0]) == classes[0]  # persistent identity
                    assert (tracks == track).sum() >= ss.MIN_THING_AREA
                    ys, xs = np.nonzero(tracks == track)
                    centre[track] = (xs.mean(), ys.mean())
                centres.append(centre)
            entered += len(set(track_class) - set(centres[0]))
            left += len(set(track_class) - set(centres[-1]))
            moved += sum(np.hypot(*np.subtract(centres[-1][k], centres[0][k])) > 3
                         for k in set(centres[0]) & set(centres[-1]))
    assert entered >= 6 and left >= 6 and moved >= 6


def test_video_things_occlude_each_other():
    rows, cols = np.mgrid[0:64, 0:96].astype(np.float32)
    occlusions = 0
    for sequence in range(4):
        tracks = ss._video_tracks(ss._stream(0, 7, sequence), 64, 96, 8)
        for t in range(8):
            masks = [
                ss._thing_mask(thing.moved(thing.cx + v[0] * t, thing.cy + v[1] * t, thing.angle + spin * t), rows,
                               cols) for thing, v, spin in tracks
            ]
            occlusions += sum((masks[i] & masks[j]).any() for i in range(len(masks)) for j in range(i))
    assert occlusions >= 8


def test_kitti_step_encoding_round_trip():
    labels = np.array([[0, 5], [255, 3]], np.uint8)
    tracks = np.array([[300, 0], [0, 2]], np.int64)
    rgb = ss.encode_kitti_step(labels, tracks)
    assert rgb.tolist() == [[[0, 1, 44], [5, 0, 0]], [[255, 0, 0], [3, 0, 2]]]


# --------------------------------------------------------------------------------------------------
# Dataset class and pipelines
# --------------------------------------------------------------------------------------------------

def _dataset_cfg(root, loader):
    register_all_modules()
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets', 'synthetic_shapes_panoptic.py'))
    dataset = cfg[loader].dataset
    dataset.data_root = root
    return dataset


@pytest.mark.parametrize('loader', ['train_dataloader', 'test_dataloader'])
def test_dataset_loads_through_pipelines(image_root, loader):
    dataset = DATASETS.build(_dataset_cfg(image_root, loader))
    split = 'train' if loader == 'train_dataloader' else 'val'
    with open(osp.join(image_root, 'annotations', f'panoptic_{split}.json')) as f:
        data = json.load(f)
    assert len(dataset) == len(data['images'])
    assert dataset.metainfo['thing_classes'] == THING_CLASSES
    for index in range(3):
        ann = data['annotations'][index]
        item = dataset[index]
        sample = item['data_samples']
        assert item['inputs'].shape == (3, 64, 64)
        things = sorted(s['category_id'] - 1 for s in ann['segments_info'] if s['category_id'] <= NUM_THINGS)
        assert sorted(sample.gt_instances.labels.tolist()) == things
        assert sample.gt_instances.masks.masks.shape == (len(things), 64, 64)
        ids = _read_ids(osp.join(image_root, 'annotations', f'panoptic_{split}', ann['file_name']))
        sem = sample.gt_sem_seg.sem_seg[0].numpy()
        if sample.metainfo.get('flip', False):
            ids = ids[:, ::-1]
        expected = np.where(ids == 0, 255, ids // ss.SEGMENT_ID_DIVISOR - 1)
        assert (sem == expected).all()


def test_dataset_rejects_foreign_categories(image_root, tmp_path):
    with open(osp.join(image_root, 'annotations', 'panoptic_val.json')) as f:
        data = json.load(f)
    data['categories'][0]['name'] = 'circle'
    ann_file = tmp_path / 'foreign.json'
    ann_file.write_text(json.dumps(data))
    cfg = _dataset_cfg(image_root, 'val_dataloader')
    cfg.ann_file = str(ann_file)
    with pytest.raises(ValueError, match=r'foreign\.json.*circle'):
        DATASETS.build(cfg)


def test_baselines_show_the_data_is_not_trivial(image_root):
    """Trivial predictions score low; perfect semantics without instance separation miss things."""
    spec = importlib.util.spec_from_file_location(
        'synthetic_shapes_baselines', osp.join(REPO, 'tools', 'analysis_tools', 'synthetic_shapes_baselines.py'))
    baselines = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(baselines)
    results = baselines.evaluate(image_root, 'train')
    assert results['frequent-stuff']['all']['pq'] < 5
    # stuff is perfect, things all missed: PQ = 3 stuff classes / 7 classes
    assert results['stuff-oracle']['all']['pq'] == pytest.approx(100 * 3 / 7)
    assert results['semantic-oracle-cc']['stuff']['pq'] == pytest.approx(100)
    assert 50 < results['semantic-oracle-cc']['things']['pq'] < 95


# --------------------------------------------------------------------------------------------------
# Bad requests and the CLI
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('kwargs, error, message', [
    (dict(size=(16, 64)), ValueError, 'too small'),
    (dict(size=(64, )), ValueError, r'\(height, width\)'),
    (dict(num_train=0), ValueError, 'num_train must be at least 1'),
    (dict(num_val=0), ValueError, 'num_val must be at least 1'),
    (dict(seed=-1), ValueError, 'seed'),
    (dict(num_train=2.5), TypeError, 'num_train must be an integer'),
])
def test_unsatisfiable_image_requests(tmp_path, kwargs, error, message):
    with pytest.raises(error, match=message):
        generate_image_dataset(str(tmp_path / 'out'), **kwargs)
    assert not (tmp_path / 'out').exists()


def test_unsatisfiable_video_request(tmp_path):
    with pytest.raises(ValueError, match='num_frames must be at least 2'):
        generate_video_dataset(str(tmp_path / 'out'), num_frames=1)


def test_output_folder_rules(tmp_path):
    out = tmp_path / 'out'
    generate_image_dataset(str(out), num_train=1, num_val=1)
    with pytest.raises(FileExistsError, match=f'{out}.*not empty.*overwrite'):
        generate_image_dataset(str(out), num_train=1, num_val=1)
    generate_video_dataset(str(out), num_train=1, num_val=1, num_frames=2, overwrite=True)
    assert sorted(os.listdir(out)) == ['generation.json', 'images', 'panoptic_maps']

    foreign = tmp_path / 'foreign'
    foreign.mkdir()
    (foreign / 'keep.txt').write_text('user data')
    with pytest.raises(FileExistsError, match='not written by this generator'):
        generate_image_dataset(str(foreign), overwrite=True)
    assert sorted(os.listdir(foreign)) == ['keep.txt']

    with pytest.raises(NotADirectoryError, match='keep.txt'):
        generate_image_dataset(str(foreign / 'keep.txt'))


def test_cli(tmp_path, capsys):
    script = osp.join(REPO, 'tools', 'dataset_converters', 'synthetic_shapes.py')
    out = tmp_path / 'cli'
    done = subprocess.run([sys.executable, script, str(out), '--num-train', '2', '--num-val', '1', '--size', '40',
                           '48', '--seed', '4'], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert 'train_images=2' in done.stdout and 'val_images=1' in done.stdout
    with open(out / 'generation.json') as f:
        assert json.load(f) == dict(kind='image', format_version=ss.FORMAT_VERSION, seed=4, num_train=2, num_val=1,
                                    size=[40, 48])
    assert cv2.imread(str(out / 'train' / '000001.jpg')).shape == (40, 48, 3)

    spec = importlib.util.spec_from_file_location('synthetic_shapes_cli', script)
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    assert cli.main([str(tmp_path / 'bad'), '--size', '8', '8']) == 2
    assert 'too small' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main([str(tmp_path / 'bad'), '--num-frames', '4'])  # --num-frames needs --video
    assert not (tmp_path / 'bad').exists()

    same = [str(out), '--num-train', '2', '--num-val', '1', '--size', '40', '48', '--seed', '4']
    stamp = os.stat(out / 'train' / '000000.jpg').st_mtime_ns
    assert cli.main(same + ['--reuse']) == 0
    assert 'up to date' in capsys.readouterr().out
    assert os.stat(out / 'train' / '000000.jpg').st_mtime_ns == stamp
    assert cli.main(same[:-1] + ['5', '--reuse']) == 2  # another seed: regenerating needs --overwrite
    assert 'not empty' in capsys.readouterr().err
    assert cli.main(same[:-1] + ['5', '--reuse', '--overwrite']) == 0
    with open(out / 'generation.json') as f:
        assert json.load(f)['seed'] == 5


def test_generator_reports_progress_and_writes_the_same_files(tmp_path):
    import io

    from mmpanoptic.cli import progress

    class Terminal(io.StringIO):

        def isatty(self):
            return True

    stream = Terminal()
    seen = []
    generate_image_dataset(str(tmp_path / 'a'), seed=1, num_train=3, num_val=2, size=(32, 32),
                           progress=lambda items, total: progress(items, total, file=stream))
    generate_image_dataset(str(tmp_path / 'b'), seed=1, num_train=3, num_val=2, size=(32, 32),
                           progress=lambda items, total: seen.append(total) or items)
    assert seen == [3, 2] and '3/3' in stream.getvalue() and '2/2' in stream.getvalue()
    assert _files(tmp_path / 'a') == _files(tmp_path / 'b')
