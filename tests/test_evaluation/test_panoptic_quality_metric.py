"""Image PQ: agreement with panopticapi's pq_compute, PanopticQualityMetric and eval_panoptic.py."""
import contextlib
import importlib.util
import io
import json
import re
import os.path as osp
import shutil
import subprocess

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import PixelData
from panopticapi.evaluation import pq_compute
from panopticapi.utils import id2rgb, rgb2id
from PIL import Image

from mmpanoptic.evaluation.functional import evaluate_panoptic_folder
from mmpanoptic.evaluation.metrics import PanopticQualityMetric

FIXTURE = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'data', 'coco_panoptic_sample')


def perturbed_prediction(gt_ids, segments, categories, rng):
    """A prediction made from the ground truth by moving boundaries, relabelling, merging, dropping and
    adding segments; returns (id map, segments_info)."""
    cat_ids = [c['id'] for c in categories]
    pred = np.zeros_like(gt_ids)
    info = []
    shift = rng.integers(-8, 9, size=2)
    moved = np.roll(gt_ids, tuple(shift), axis=(0, 1))
    for index, segment in enumerate(segments):
        mode = rng.integers(0, 6)
        if mode == 0:  # dropped
            continue
        mask = moved == segment['id'] if mode in (1, 2) else gt_ids == segment['id']
        if mode == 3:  # eroded half
            ys, xs = np.nonzero(mask)
            if len(ys):
                mask &= np.arange(gt_ids.shape[1])[None] < np.median(xs)
        category = segment['category_id'] if mode != 2 else int(rng.choice(cat_ids))
        new_id = int(rng.integers(1, 2**24))
        pred[mask & (pred == 0)] = new_id
        info.append(dict(id=new_id, category_id=category))
    blob_id = int(rng.integers(1, 2**24))
    y, x = rng.integers(0, gt_ids.shape[0] - 40), rng.integers(0, gt_ids.shape[1] - 60)
    pred[y:y + 40, x:x + 60] = blob_id
    info.append(dict(id=blob_id, category_id=int(rng.choice(cat_ids))))
    present = set(np.unique(pred).tolist())
    info = [s for s in info if s['id'] in present]
    return pred, info


def write_predictions(tmp_path, seed):
    gt = json.load(open(osp.join(FIXTURE, 'panoptic_examples.json')))
    rng = np.random.default_rng(seed)
    pred_dir = tmp_path / f'pred_{seed}'
    pred_dir.mkdir()
    annotations = []
    for annotation in gt['annotations']:
        gt_ids = rgb2id(np.array(Image.open(osp.join(FIXTURE, 'panoptic_examples', annotation['file_name']))))
        pred, info = perturbed_prediction(gt_ids, annotation['segments_info'], gt['categories'], rng)
        Image.fromarray(id2rgb(pred)).save(pred_dir / annotation['file_name'])
        annotations.append(dict(image_id=annotation['image_id'], file_name=annotation['file_name'],
                                segments_info=info))
    pred_json = tmp_path / f'pred_{seed}.json'
    json.dump(dict(annotations=annotations), open(pred_json, 'w'))
    return str(pred_json), str(pred_dir)


def reference(pred_json, pred_dir):
    with contextlib.redirect_stdout(io.StringIO()):
        return pq_compute(osp.join(FIXTURE, 'panoptic_examples.json'), pred_json,
                          osp.join(FIXTURE, 'panoptic_examples'), pred_dir)


@pytest.mark.parametrize('seed', [0, 1, 2, 3])
def test_agrees_with_panopticapi_pq_compute(tmp_path, seed):
    pred_json, pred_dir = write_predictions(tmp_path, seed)
    expected = reference(pred_json, pred_dir)
    stats, categories = evaluate_panoptic_folder(
        osp.join(FIXTURE, 'panoptic_examples.json'), osp.join(FIXTURE, 'panoptic_examples'), pred_json, pred_dir,
        nproc=1)
    summary = stats.summary(categories.thing_mask)
    for name in ('All', 'Things', 'Stuff'):
        for key in ('pq', 'sq', 'rq'):
            assert abs(summary[name][key] - expected[name][key]) < 1e-6, (name, key)
        assert summary[name]['n'] == expected[name]['n']
    for label, cat_id in enumerate(categories.cat_ids):
        for key in ('pq', 'sq', 'rq'):
            assert abs(summary['per_class'][key][label] - expected['per_class'][cat_id][key]) < 1e-6


def test_perfect_prediction_scores_100(tmp_path):
    gt_json = osp.join(FIXTURE, 'panoptic_examples.json')
    gt = json.load(open(gt_json))
    json.dump(dict(annotations=gt['annotations']), open(tmp_path / 'pred.json', 'w'))
    stats, categories = evaluate_panoptic_folder(gt_json, osp.join(FIXTURE, 'panoptic_examples'),
                                                 str(tmp_path / 'pred.json'), osp.join(FIXTURE, 'panoptic_examples'),
                                                 nproc=2)
    summary = stats.summary(categories.thing_mask)
    assert summary['All']['pq'] == 1.0 and stats.fp.sum() == 0 and stats.fn.sum() == 0


def test_folder_bad_inputs(tmp_path):
    gt_json = osp.join(FIXTURE, 'panoptic_examples.json')
    gt_dir = osp.join(FIXTURE, 'panoptic_examples')
    pred_json, pred_dir = write_predictions(tmp_path, 0)
    content = json.load(open(pred_json))

    def run(annotations):
        json.dump(dict(annotations=annotations), open(tmp_path / 'bad.json', 'w'))
        return evaluate_panoptic_folder(gt_json, gt_dir, str(tmp_path / 'bad.json'), pred_dir, nproc=1)

    with pytest.raises(ValueError, match=r'no prediction for 1 ground-truth image.*439180'):
        run(content['annotations'][:1])
    with pytest.raises(ValueError, match=r'prediction\(s\) for image\(s\) not in .*999'):
        run(content['annotations'] + [dict(image_id=999, file_name='x.png', segments_info=[])])
    broken = json.loads(json.dumps(content['annotations']))
    broken[0]['segments_info'][0]['category_id'] = 4242
    with pytest.raises(ValueError, match='000000142238.png: segment .* unknown category_id 4242'):
        run(broken)
    broken = json.loads(json.dumps(content['annotations']))
    missing_id = broken[0]['segments_info'].pop(0)['id']
    with pytest.raises(ValueError, match=rf'\[{missing_id}\] are in the PNG but not in the JSON'):
        run(broken)
    broken = json.loads(json.dumps(content['annotations']))
    broken[0]['segments_info'].append(dict(id=77, category_id=1))
    with pytest.raises(ValueError, match=r'\[77\] are listed in the JSON segments_info but absent'):
        run(broken)
    small = tmp_path / 'small'
    shutil.copytree(pred_dir, small)
    Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(small / '000000142238.png')
    with pytest.raises(ValueError, match=r'000000142238.png.*size \(10, 10\)'):
        evaluate_panoptic_folder(gt_json, gt_dir, pred_json, str(small), nproc=1)
    (small / '000000142238.png').write_bytes(b'not a png')
    with pytest.raises(ValueError, match='cannot be decoded'):
        evaluate_panoptic_folder(gt_json, gt_dir, pred_json, str(small), nproc=1)
    (small / '000000142238.png').unlink()
    with pytest.raises(FileNotFoundError, match='000000142238.png: file not found'):
        evaluate_panoptic_folder(gt_json, gt_dir, pred_json, str(small), nproc=1)


def metric_samples(pred_json, pred_dir, cat2label):
    """Data samples whose predictions (label + instance * 1000) are the files of ``pred_json``."""
    samples = []
    for annotation in json.load(open(pred_json))['annotations']:
        ids = rgb2id(np.array(Image.open(osp.join(pred_dir, annotation['file_name']))))
        pan = np.full(ids.shape, len(cat2label), np.int64)  # VOID
        for index, segment in enumerate(annotation['segments_info']):
            pan[ids == segment['id']] = cat2label[segment['category_id']] + 1000 * (index + 1)
        sample = DetDataSample(metainfo=dict(img_id=annotation['image_id'], ori_shape=ids.shape,
                                             img_path=annotation['file_name'].replace('.png', '.jpg')))
        sample.pred_panoptic_seg = PixelData(sem_seg=torch.from_numpy(pan)[None])
        samples.append(sample.to_dict())
    return samples


def test_metric_process_compute_and_format_only(tmp_path):
    gt_json = osp.join(FIXTURE, 'panoptic_examples.json')
    categories = json.load(open(gt_json))['categories']
    meta = dict(classes=[c['name'] for c in categories],
                thing_classes=[c['name'] for c in categories if c['isthing']])
    cat2label = {c['id']: label for label, c in enumerate(categories)}
    pred_json, pred_dir = write_predictions(tmp_path, 1)
    expected = reference(pred_json, pred_dir)
    samples = metric_samples(pred_json, pred_dir, cat2label)

    metric = PanopticQualityMetric(ann_file=gt_json, seg_prefix=osp.join(FIXTURE, 'panoptic_examples'),
                                   classwise=True, outfile_prefix=str(tmp_path / 'out' / 'results'))
    metric.dataset_meta = meta
    metric.process({}, samples[:1])
    metric.process({}, samples[1:])
    results = metric.evaluate(size=2)
    assert results['coco_panoptic/PQ'] == pytest.approx(100 * expected['All']['pq'], abs=1e-4)
    assert results['coco_panoptic/RQ_th'] == pytest.approx(100 * expected['Things']['rq'], abs=1e-4)
    assert results['coco_panoptic/SQ_st'] == pytest.approx(100 * expected['Stuff']['sq'], abs=1e-4)
    # the written submission evaluates to the same numbers offline
    stats, cats = evaluate_panoptic_folder(gt_json, osp.join(FIXTURE, 'panoptic_examples'),
                                           str(tmp_path / 'out' / 'results.panoptic.json'),
                                           str(tmp_path / 'out' / 'results.panoptic'), nproc=1)
    assert 100 * stats.summary(cats.thing_mask)['All']['pq'] == pytest.approx(results['coco_panoptic/PQ'])

    only = PanopticQualityMetric(ann_file=gt_json, format_only=True, outfile_prefix=str(tmp_path / 'sub' / 'x'))
    only.dataset_meta = meta
    only.process({}, samples)
    assert only.evaluate(size=2) == {}
    written = json.load(open(tmp_path / 'sub' / 'x.panoptic.json'))
    assert {a['image_id'] for a in written['annotations']} == {142238, 439180}
    assert all(s['category_id'] in cat2label for a in written['annotations'] for s in a['segments_info'])
    with pytest.raises(ValueError, match='format_only=True needs outfile_prefix'):
        PanopticQualityMetric(format_only=True)


def test_metric_from_dataset_segments_info(tmp_path):
    """Without ann_file: mmdet-style segments_info and seg_map_path in the samples (Cityscapes-like names)."""
    gt = rgb2id(np.array(Image.open(osp.join(FIXTURE, 'panoptic_examples', '000000142238.png'))))[:64, :64]
    ids = [int(i) for i in np.unique(gt) if i != 0]
    Image.fromarray(id2rgb(gt)).save(tmp_path / 'a_gtFine_panoptic.png')
    meta = dict(classes=('thing', 'stuff'), thing_classes=('thing', ))
    segments_info = [dict(id=i, category=k % 2, is_thing=k % 2 == 0) for k, i in enumerate(ids)]
    pan = np.full(gt.shape, 2, np.int64)
    for k, i in enumerate(ids):
        pan[gt == i] = (k % 2) + 1000 * (k + 1)
    sample = DetDataSample(metainfo=dict(img_id='a', img_path='a_leftImg8bit.png', ori_shape=gt.shape,
                                         seg_map_path=str(tmp_path / 'a_gtFine_panoptic.png'),
                                         segments_info=segments_info))
    sample.pred_panoptic_seg = PixelData(sem_seg=torch.from_numpy(pan)[None])
    metric = PanopticQualityMetric()
    metric.dataset_meta = meta
    metric.process({}, [sample.to_dict()])
    results = metric.evaluate(size=1)
    assert results['coco_panoptic/PQ'] == pytest.approx(100.0)


def test_eval_panoptic_cli(tmp_path, repo_root, python_exe, capsys):
    pred_json, pred_dir = write_predictions(tmp_path, 2)
    expected = reference(pred_json, pred_dir)
    out = tmp_path / 'pq.json'
    tool = osp.join(repo_root, 'tools', 'analysis_tools', 'eval_panoptic.py')
    subprocess.run([python_exe, tool, osp.join(FIXTURE, 'panoptic_examples.json'),
                    osp.join(FIXTURE, 'panoptic_examples'), pred_json, pred_dir, '--out', str(out), '--nproc', '2'],
                   check=True, capture_output=True, cwd=repo_root)
    results = json.load(open(out))
    assert set(results) >= {'PQ', 'SQ', 'RQ', 'PQ_th', 'SQ_th', 'RQ_th', 'PQ_st', 'SQ_st', 'RQ_st', 'per_class'}
    assert results['PQ'] == pytest.approx(100 * expected['All']['pq'], abs=1e-4)
    assert results['per_class']['person']['PQ'] == pytest.approx(100 * expected['per_class'][1]['pq'], abs=1e-4)
    spec = importlib.util.spec_from_file_location('eval_panoptic', tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(SystemExit) as exc:
        module.main([osp.join(FIXTURE, 'panoptic_examples.json'), osp.join(FIXTURE, 'panoptic_examples'),
                     str(tmp_path / 'missing.json'), pred_dir])
    assert exc.value.code == 1
    assert re.search(r'^error: .*missing\.json: annotation file not found$', capsys.readouterr().err, re.M)


def test_metric_nproc_gives_identical_results_and_reports_worker_errors(tmp_path, monkeypatch):
    """nproc=2 runs the per-image work in forked workers (more images than the 2 * nproc in flight)."""
    monkeypatch.setattr('mmpanoptic.evaluation.functional.parallel.os.cpu_count', lambda: 4)
    gt_json = osp.join(FIXTURE, 'panoptic_examples.json')
    categories = json.load(open(gt_json))['categories']
    meta = dict(classes=[c['name'] for c in categories],
                thing_classes=[c['name'] for c in categories if c['isthing']])
    cat2label = {c['id']: label for label, c in enumerate(categories)}
    samples = []
    for seed in range(3):
        samples += metric_samples(*write_predictions(tmp_path, seed), cat2label)
    results = {}
    for nproc in (1, 2):
        metric = PanopticQualityMetric(ann_file=gt_json, seg_prefix=osp.join(FIXTURE, 'panoptic_examples'),
                                       classwise=True, nproc=nproc)
        metric.dataset_meta = meta
        for sample in samples:
            metric.process({}, [sample])
        assert (metric._workers._pool is not None) == (nproc == 2)
        results[nproc] = metric.evaluate(size=len(samples))
        assert metric._workers._pool is None
    assert results[1] == results[2] and 0 < results[1]['coco_panoptic/PQ'] < 100
    metric = PanopticQualityMetric(ann_file=gt_json, seg_prefix=str(tmp_path / 'nowhere'), nproc=2)
    metric.dataset_meta = meta
    metric.process({}, samples[:2])
    with pytest.raises(FileNotFoundError, match='nowhere/000000142238.png: file not found'):
        metric.evaluate(size=2)
    assert metric._workers._pool is None
