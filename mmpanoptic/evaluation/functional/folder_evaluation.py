"""Evaluation of folders of predictions (image PQ; video VPQ and STQ) with several processes.

Used by ``tools/analysis_tools/eval_panoptic.py`` and ``tools/analysis_tools/eval_video_panoptic.py``
(for example on the submission files that the metrics write with ``outfile_prefix``). Ground truth and
predictions must cover exactly the same images / sequences / frames; anything missing or extra is an
error naming it, so a number is never computed on a partial set.
"""
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .panoptic_io import CategoryInfo, CocoPanopticPNG, StepPanopticPNG, file_histogram, load_json
from .panoptic_quality import PanopticStats, match_segments
from .parallel import parallel_map
from .segment_histogram import SegmentHistogram
from .segmentation_tracking_quality import STQAccumulator
from .video_panoptic_quality import summarize_vpq, vpq_stats

VIDEO_FORMATS = ('kitti-step', 'cityscapes-vps', 'vipseg')


def _image_stats(gt: CocoPanopticPNG, pred: CocoPanopticPNG, num_classes: int) -> PanopticStats:
    return match_segments(file_histogram(gt, pred), num_classes, crowd_rule=True)


def match_image_annotations(gt_annotations: List[dict], pred_annotations: List[dict], gt_source: str,
                            pred_source: str) -> List[Tuple[dict, dict]]:
    """Pair ground-truth and predicted annotations by ``image_id``; missing or extra ones are errors."""
    predictions = {}
    for annotation in pred_annotations:
        if annotation['image_id'] in predictions:
            raise ValueError(f'{pred_source}: image_id {annotation["image_id"]!r} has two predictions.')
        predictions[annotation['image_id']] = annotation
    gt_ids = [annotation['image_id'] for annotation in gt_annotations]
    missing = [image_id for image_id in gt_ids if image_id not in predictions]
    if missing:
        raise ValueError(f'{pred_source}: no prediction for {len(missing)} ground-truth image(s) of {gt_source}, '
                         f'e.g. image_id {missing[:5]}.')
    extra = sorted(set(predictions) - set(gt_ids), key=str)
    if extra:
        raise ValueError(f'{pred_source}: {len(extra)} prediction(s) for image(s) not in {gt_source}, e.g. '
                         f'image_id {extra[:5]}.')
    return [(annotation, predictions[annotation['image_id']]) for annotation in gt_annotations]


def evaluate_panoptic_folder(gt_json: str, gt_dir: str, pred_json: str, pred_dir: str, nproc: int = 8,
                             backend_args: Optional[dict] = None) -> Tuple[PanopticStats, CategoryInfo]:
    """PQ statistics of COCO-panoptic predictions against COCO-panoptic ground truth.

    Args:
        gt_json (str): ground-truth JSON (``annotations``, ``categories``).
        gt_dir (str): folder of ground-truth PNGs (``annotations[].file_name``).
        pred_json (str): prediction JSON (``annotations`` with ``image_id``, ``file_name``,
            ``segments_info``); category ids as in the ground truth.
        pred_dir (str): folder of predicted PNGs.
        nproc (int): number of processes.
        backend_args (dict, optional): file backend of the ground truth.

    Returns:
        tuple: summed :class:`PanopticStats` and the ground truth's :class:`CategoryInfo`.
    """
    gt = load_json(gt_json)
    pred = load_json(pred_json, required=('annotations', ))
    categories = CategoryInfo(gt['categories'], gt_json)
    if len(gt['annotations']) == 0:
        raise ValueError(f'{gt_json}: no annotation to evaluate.')
    pairs = match_image_annotations(gt['annotations'], pred['annotations'], gt_json, pred_json)
    tasks = [(CocoPanopticPNG(osp.join(gt_dir, gt_ann['file_name']), gt_ann['segments_info'], categories.cat2label,
                              backend_args),
              CocoPanopticPNG(osp.join(pred_dir, pred_ann['file_name']), pred_ann['segments_info'],
                              categories.cat2label), categories.num_classes) for gt_ann, pred_ann in pairs]
    stats = PanopticStats(categories.num_classes)
    for image_stats in parallel_map(_image_stats, tasks, nproc):
        stats += image_stats
    return stats, categories


def _frame_number(path: str) -> int:
    stem = osp.splitext(osp.basename(path))[0]
    if not re.fullmatch(r'\d+', stem):
        raise ValueError(f'{path}: frame file names must be frame numbers (e.g. 000012.png).')
    return int(stem)


def _list_pngs(folder: str) -> List[str]:
    return sorted(name for name in os.listdir(folder) if name.lower().endswith('.png'))


def _compare_names(gt_names: Sequence[str], pred_names: Sequence[str], what: str, gt_where: str,
                   pred_where: str) -> None:
    missing = sorted(set(gt_names) - set(pred_names))
    if missing:
        raise ValueError(f'{pred_where}: missing prediction {what}(s) {missing[:5]} (of {len(missing)}) that '
                         f'{gt_where} has.')
    extra = sorted(set(pred_names) - set(gt_names))
    if extra:
        raise ValueError(f'{pred_where}: extra prediction {what}(s) {extra[:5]} (of {len(extra)}) that '
                         f'{gt_where} does not have.')


def _step_tasks(gt_dir: str, pred_dir: str, num_classes: int, thing_classes: Sequence[int]):
    for folder in (gt_dir, pred_dir):
        if not osp.isdir(folder):
            raise FileNotFoundError(f'{folder}: folder not found.')
    sequences = sorted(name for name in os.listdir(gt_dir) if osp.isdir(osp.join(gt_dir, name)))
    if not sequences:
        raise ValueError(f'{gt_dir}: no sequence folder (expected <seq>/<frame>.png).')
    pred_sequences = sorted(name for name in os.listdir(pred_dir) if osp.isdir(osp.join(pred_dir, name)))
    _compare_names(sequences, pred_sequences, 'sequence', gt_dir, pred_dir)
    layout = {}
    for sequence in sequences:
        gt_frames = _list_pngs(osp.join(gt_dir, sequence))
        if not gt_frames:
            raise ValueError(f'{osp.join(gt_dir, sequence)}: empty sequence folder (no PNG).')
        pred_frames = _list_pngs(osp.join(pred_dir, sequence))
        _compare_names(gt_frames, pred_frames, 'frame', osp.join(gt_dir, sequence), osp.join(pred_dir, sequence))
        numbers = sorted(_frame_number(osp.join(gt_dir, sequence, name)) for name in gt_frames)
        gaps = [b for a, b in zip(numbers, numbers[1:]) if b != a + 1]
        if len(set(numbers)) != len(numbers) or gaps:
            raise ValueError(f'{osp.join(gt_dir, sequence)}: frame numbers are not consecutive (first break at '
                             f'frame {gaps[0] if gaps else "duplicate"}); windows of consecutive frames need '
                             'every frame.')
        gt_frames.sort(key=lambda name: _frame_number(name))
        layout[sequence] = [(StepPanopticPNG(osp.join(gt_dir, sequence, name), num_classes, tuple(thing_classes)),
                             StepPanopticPNG(osp.join(pred_dir, sequence, name), num_classes, tuple(thing_classes),
                                             crowd=False)) for name in gt_frames]
    return layout


def _cityscapes_vps_tasks(gt_json: str, gt_dir: str, pred_dir: str):
    gt = load_json(gt_json)
    pred_json = osp.join(pred_dir, 'pred.json')
    pred = load_json(pred_json, required=('annotations', ))
    categories = CategoryInfo(gt['categories'], gt_json)
    pairs = match_image_annotations(gt['annotations'], pred['annotations'], gt_json, pred_json)
    layout: Dict[str, list] = {}
    order: Dict[str, list] = {}
    for gt_ann, pred_ann in pairs:
        image_id = str(gt_ann['image_id'])
        match = re.match(r'(\d+)_(\d+)_', image_id)
        if match is None:
            raise ValueError(f'{gt_json}: image_id {image_id!r} is not <video>_<frame>_<city>_<seq>_<frame>.')
        pred_name = pred_ann.get('file_name', f'{image_id}.png')
        task = (CocoPanopticPNG(osp.join(gt_dir, gt_ann['file_name']), gt_ann['segments_info'], categories.cat2label),
                CocoPanopticPNG(osp.join(pred_dir, 'pan_pred', pred_name), pred_ann['segments_info'],
                                categories.cat2label))
        layout.setdefault(match.group(1), []).append(task)
        order.setdefault(match.group(1), []).append(int(match.group(2)))
    for video, tasks in layout.items():
        frames = order[video]
        if len(set(frames)) != len(frames):
            raise ValueError(f'{gt_json}: video {video} has duplicated frame numbers {sorted(frames)}.')
        layout[video] = [task for _, task in sorted(zip(frames, tasks), key=lambda pair: pair[0])]
    return layout, categories


def _vipseg_tasks(gt_json: str, gt_dir: str, pred_dir: str):
    gt = load_json(gt_json)
    pred_json = osp.join(pred_dir, 'pred.json')
    pred = load_json(pred_json, required=('annotations', ))
    categories = CategoryInfo(gt['categories'], gt_json)
    gt_videos = {video['video_id']: video['annotations'] for video in gt['annotations']}
    pred_videos = {video['video_id']: video['annotations'] for video in pred['annotations']}
    if not gt_videos:
        raise ValueError(f'{gt_json}: no video to evaluate.')
    _compare_names(list(gt_videos), list(pred_videos), 'video', gt_json, pred_json)
    layout = {}
    for video, gt_frames in gt_videos.items():
        if not gt_frames:
            raise ValueError(f'{gt_json}: video {video} has no annotated frame.')
        key = 'file_name' if all('file_name' in a for a in pred_videos[video]) else 'image_id'
        predictions = {a[key]: a for a in pred_videos[video]}
        _compare_names([a[key] for a in gt_frames], list(predictions), f'frame of video {video}', gt_json,
                       pred_json)
        frames = sorted(gt_frames, key=lambda a: a['file_name'])
        layout[video] = [(CocoPanopticPNG(osp.join(gt_dir, video, a['file_name']), a['segments_info'],
                                          categories.cat2label),
                          CocoPanopticPNG(osp.join(pred_dir, 'pan_pred', video,
                                                   predictions[a[key]].get('file_name', a['file_name'])),
                                          predictions[a[key]]['segments_info'], categories.cat2label)) for a in frames]
    return layout, categories


def video_folder_histograms(fmt: str, gt_dir: str, pred_dir: str, gt_json: Optional[str] = None,
                            num_classes: Optional[int] = None, thing_classes: Optional[Sequence[int]] = None,
                            nproc: int = 8) -> Tuple[Dict[str, List[SegmentHistogram]], int, List[int]]:
    """Segment histograms of every annotated frame of every sequence of a folder of video predictions.

    Args:
        fmt (str): ``'kitti-step'`` (``GT_DIR/<seq>/<frame>.png`` vs ``PRED_DIR/<seq>/<frame>.png``, STEP
            encoding), ``'cityscapes-vps'`` (``gt_json`` + ``GT_DIR/<file_name>`` vs VPSNet's submission
            ``PRED_DIR/pred.json`` + ``PRED_DIR/pan_pred/<image_id>.png``) or ``'vipseg'`` (video JSON +
            ``GT_DIR/<video>/<file_name>`` vs ``PRED_DIR/pred.json`` + ``PRED_DIR/pan_pred/<video>/<file_name>``).
        gt_dir (str): ground-truth folder.
        pred_dir (str): prediction folder.
        gt_json (str, optional): ground-truth JSON (COCO-panoptic formats only).
        num_classes (int, optional): number of classes (STEP format only).
        thing_classes (Sequence[int], optional): thing classes (STEP format only; crowd and STQ tracks).
        nproc (int): number of processes.

    Returns:
        tuple: ``{sequence: [histogram per frame in temporal order]}``, the number of classes and the
        thing classes (contiguous labels).
    """
    if fmt == 'kitti-step':
        if num_classes is None or thing_classes is None:
            raise ValueError('kitti-step format needs num_classes and thing_classes.')
        layout = _step_tasks(gt_dir, pred_dir, num_classes, thing_classes)
        things = list(thing_classes)
    elif fmt in ('cityscapes-vps', 'vipseg'):
        if gt_json is None:
            raise ValueError(f'{fmt} format needs the ground-truth JSON (--gt-json).')
        layout, categories = (_cityscapes_vps_tasks if fmt == 'cityscapes-vps' else _vipseg_tasks)(
            gt_json, gt_dir, pred_dir)
        num_classes = categories.num_classes
        things = [label for label, thing in enumerate(categories.thing_mask) if thing]
    else:
        raise ValueError(f'Unknown video format {fmt!r}; expected one of {VIDEO_FORMATS}.')
    names = list(layout)
    flat = [task for name in names for task in layout[name]]
    histograms = parallel_map(file_histogram, flat, nproc)
    sequences, start = {}, 0
    for name in names:
        sequences[name] = histograms[start:start + len(layout[name])]
        start += len(layout[name])
    return sequences, num_classes, things


def evaluate_video_sequences(sequences: Dict[str, List[SegmentHistogram]], num_classes: int,
                             thing_classes: Sequence[int], metrics: Sequence[str] = ('VPQ', 'STQ'),
                             windows: Sequence[int] = (1, 2, 3, 4), crowd_rule: bool = False,
                             class_mean: str = 'present', stq_drop_void_predictions: bool = False) -> dict:
    """VPQ and/or STQ of complete sequences, in percent.

    Args:
        sequences (dict): ``{sequence: [histogram of each annotated frame in temporal order]}``.
        num_classes (int): number of classes.
        thing_classes (Sequence[int]): thing labels (VPQ_th split, STQ tracks).
        metrics (Sequence[str]): ``'VPQ'`` and/or ``'STQ'``.
        windows (Sequence[int]): VPQ window lengths.
        crowd_rule (bool): VPQ convention A (True) or B (False).
        class_mean (str): ``'present'`` or ``'all'``.
        stq_drop_void_predictions (bool): see :class:`STQAccumulator`.

    Returns:
        dict: ``VPQ``, ``VPQ_th``, ``VPQ_st``, ``VPQ_per_window`` ({k: VPQ_k}), ``VPQ_num_windows``
        and/or ``STQ``, ``AQ``, ``SQ``, ``STQ_per_sequence``; all scores in percent.
    """
    thing_mask = np.zeros(num_classes, bool)
    thing_mask[list(thing_classes)] = True
    results: dict = dict(num_sequences=len(sequences))
    if 'VPQ' in metrics:
        stats, num_windows = vpq_stats(list(sequences.values()), windows, num_classes, crowd_rule)
        vpq = summarize_vpq(stats, num_windows, thing_mask, class_mean)
        results.update({key: 100 * vpq[key] for key in ('VPQ', 'VPQ_th', 'VPQ_st')})
        results['VPQ_per_window'] = {k: 100 * summary['All']['pq'] for k, summary in vpq['per_window'].items()}
        results['VPQ_th_per_window'] = {k: 100 * s['Things']['pq'] for k, s in vpq['per_window'].items()}
        results['VPQ_st_per_window'] = {k: 100 * s['Stuff']['pq'] for k, s in vpq['per_window'].items()}
        results['VPQ_num_windows'] = num_windows
        results.update(convention='A' if crowd_rule else 'B', class_mean=class_mean)
    if 'STQ' in metrics:
        accumulator = STQAccumulator(num_classes, thing_classes, stq_drop_void_predictions)
        for name, frames in sequences.items():
            accumulator.add_sequence(name, frames)
        stq = accumulator.result()
        results.update({key: 100 * stq[key] for key in ('STQ', 'AQ', 'SQ')})
        results['STQ_per_sequence'] = {
            name: {key: 100 * value[key] for key in ('STQ', 'AQ', 'SQ')} for name, value in stq['per_sequence'].items()
        }
    return results
