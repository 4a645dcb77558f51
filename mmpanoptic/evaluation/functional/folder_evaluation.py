"""Evaluation of folders of predictions (image PQ; video VPQ and STQ) with several processes.

Used by ``tools/analysis_tools/eval_panoptic.py`` and ``tools/analysis_tools/eval_video_panoptic.py``
(for example on the submission files that the metrics write with ``outfile_prefix``). Ground truth and
predictions must cover exactly the same images / sequences / frames: a ground-truth image without prediction
is an error naming it (it is not scored as an empty prediction, which would lower PQ without saying so), and
so is a prediction of an image the ground truth does not have, so a number is never computed on a partial
set. Every input problem raises :class:`~mmpanoptic.errors.DataError` (a ``ValueError``) or
``FileNotFoundError`` naming the file and the image:

* an annotation without ``image_id``, ``file_name`` or ``segments_info`` (prediction files of the video
  formats may leave out ``file_name``);
* an image annotated twice in the ground truth, or predicted twice;
* image ids whose types differ between ground truth and prediction (``1`` and ``"1"``);
* a segment whose ``category_id`` is not a ground-truth category id (the message shows its value and type);
* a ground-truth PNG whose size is not the ``height`` and ``width`` of its ``images`` entry (checked for the
  entries that give ``id``, ``height`` and ``width``).
"""
import os
import os.path as osp
import re
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from mmpanoptic.cli import progress
from mmpanoptic.errors import DataError

from .panoptic_io import CategoryInfo, CocoPanopticPNG, StepPanopticPNG, file_histogram, load_json, segments_table
from .panoptic_quality import PanopticStats, match_segments
from .parallel import parallel_imap
from .segment_histogram import SegmentHistogram
from .segmentation_tracking_quality import STQAccumulator
from .video_panoptic_quality import summarize_vpq, vpq_stats

VIDEO_FORMATS = ('kitti-step', 'cityscapes-vps', 'vipseg')

ImageId = Union[int, str]
# (height, width) of an image and where it is written, for errors
ImageSize = Tuple[Tuple[int, int], str]


def _image_stats(gt: CocoPanopticPNG, pred: CocoPanopticPNG, num_classes: int) -> PanopticStats:
    return match_segments(file_histogram(gt, pred), num_classes, crowd_rule=True)


def _run(function, tasks: Sequence[tuple], nproc: int, show_progress: bool) -> Iterable:
    """``function(*task)`` of every task in order, with a progress bar on a terminal if ``show_progress``."""
    results = parallel_imap(function, tasks, nproc)
    return progress(results, total=len(tasks)) if show_progress else results


def _index_annotations(annotations: Sequence[dict], source: str, keys: Sequence[str],
                       what: str) -> Dict[ImageId, dict]:
    """``{image_id: annotation}`` of a COCO-panoptic ``annotations`` list, in file order.

    Args:
        annotations (Sequence[dict]): the file's ``annotations``.
        source (str): the file, for errors.
        keys (Sequence[str]): keys every annotation must have besides ``image_id``.
        what (str): ``'ground truth'`` or ``'prediction'``, for errors.

    Raises:
        DataError: an annotation is not an object, has no ``image_id`` (or one that is neither an integer nor a
            string), lacks one of ``keys``, or an image is listed twice.
    """
    if not isinstance(annotations, list):
        raise DataError(f'{source}: "annotations" is a {type(annotations).__name__}, not a list')
    indexed: Dict[ImageId, dict] = {}
    for index, annotation in enumerate(annotations):
        if not isinstance(annotation, dict) or 'image_id' not in annotation:
            raise DataError(f'{source}: annotations[{index}] has no "image_id" (every {what} annotation names its '
                            'image)')
        image_id = annotation['image_id']
        if isinstance(image_id, bool) or not isinstance(image_id, (int, str)):
            raise DataError(f'{source}: annotations[{index}] has image_id {image_id!r} ({type(image_id).__name__}); '
                            'image ids are integers or strings')
        missing = [key for key in keys if key not in annotation]
        if missing:
            raise DataError(f'{source}: image_id {image_id!r}: the annotation has no '
                            f'{" and no ".join(repr(key) for key in missing)} (every {what} annotation needs '
                            f'{" and ".join(repr(key) for key in keys)})')
        if 'file_name' in annotation and not isinstance(annotation['file_name'], str):
            raise DataError(f'{source}: image_id {image_id!r}: file_name {annotation["file_name"]!r} is not a string')
        if image_id in indexed:
            twice = 'has two annotations' if what == 'ground truth' else 'has two predictions'
            raise DataError(f'{source}: image_id {image_id!r} {twice} (each image must be listed once; remove the '
                            'duplicate)')
        indexed[image_id] = annotation
    return indexed


def _check_id_types(ground_truth: Dict[ImageId, dict], predictions: Dict[ImageId, dict], gt_source: str,
                    pred_source: str) -> None:
    """Raise if a predicted image id is a ground-truth id written with another type (``'1'`` for ``1``)."""
    gt_by_text = {str(image_id): image_id for image_id in ground_truth}
    for pred_id in predictions:
        gt_id = gt_by_text.get(str(pred_id))
        if gt_id is not None and type(gt_id) is not type(pred_id):
            raise DataError(f'{pred_source}: image_id {pred_id!r} ({type(pred_id).__name__}) is written as image_id '
                            f'{gt_id!r} ({type(gt_id).__name__}) in {gt_source}; the image ids of the two files '
                            f'have different types (write the predictions\' image ids as {type(gt_id).__name__}s, '
                            'like the ground truth\'s)')


def match_image_annotations(gt_annotations: List[dict], pred_annotations: List[dict], gt_source: str,
                            pred_source: str,
                            pred_keys: Sequence[str] = ('file_name', 'segments_info')) -> List[Tuple[dict, dict]]:
    """Pair ground-truth and predicted annotations by ``image_id``, in ground-truth order.

    Args:
        gt_annotations (list[dict]): the ground truth's ``annotations`` (``image_id``, ``file_name``,
            ``segments_info``).
        pred_annotations (list[dict]): the predictions' ``annotations``.
        gt_source (str): the ground-truth file, for errors.
        pred_source (str): the prediction file, for errors.
        pred_keys (Sequence[str]): keys every prediction must have besides ``image_id``.

    Raises:
        DataError: see :func:`_index_annotations`; a ground-truth image without prediction (it would otherwise
            be missing from PQ or count as all false negatives), a prediction of an image that is not in the
            ground truth, and image ids of different types on the two sides.
    """
    ground_truth = _index_annotations(gt_annotations, gt_source, ('file_name', 'segments_info'), 'ground truth')
    predictions = _index_annotations(pred_annotations, pred_source, pred_keys, 'prediction')
    missing = [image_id for image_id in ground_truth if image_id not in predictions]
    extra = sorted((image_id for image_id in predictions if image_id not in ground_truth), key=str)
    if missing or extra:
        _check_id_types(ground_truth, predictions, gt_source, pred_source)
    if missing:
        raise DataError(f'{pred_source}: no prediction for {len(missing)} ground-truth image(s) of {gt_source}, '
                        f'e.g. image_id {missing[:5]} (predict every ground-truth image; a missing prediction is '
                        'not scored as empty)')
    if extra:
        raise DataError(f'{pred_source}: {len(extra)} prediction(s) for image(s) not in {gt_source}, e.g. '
                        f'image_id {extra[:5]} (evaluate against the ground truth of the predicted images)')
    return [(annotation, predictions[image_id]) for image_id, annotation in ground_truth.items()]


def _image_sizes(images: Sequence[dict], source: str, where: str = 'images') -> Dict[ImageId, ImageSize]:
    """``{image id: ((height, width), description)}`` of the entries of ``images`` that give all three."""
    sizes = {}
    for index, image in enumerate(images or []):
        if isinstance(image, dict) and all(key in image for key in ('id', 'height', 'width')) and isinstance(
                image['id'], (int, str)):
            sizes[image['id']] = ((image['height'], image['width']), f'{source} {where}[{index}] (id {image["id"]!r})')
    return sizes


def _coco_png(folder: str, annotation: dict, cat2label: Dict[int, int], source: str,
              file_name: Optional[str] = None, size: Optional[ImageSize] = None,
              backend_args: Optional[dict] = None) -> CocoPanopticPNG:
    """The PNG of one annotation, its ``segments_info`` checked first against the categories (errors name
    ``source`` and the image)."""
    file_name = annotation['file_name'] if file_name is None else file_name
    image = f'image_id {annotation["image_id"]!r}, ' if 'image_id' in annotation else ''
    segments_table(annotation['segments_info'], cat2label, f'{source}: {image}{file_name}')
    expected, size_source = size if size is not None else (None, None)
    return CocoPanopticPNG(osp.join(folder, file_name), annotation['segments_info'], cat2label, backend_args,
                           expected, size_source)


def evaluate_panoptic_folder(gt_json: str, gt_dir: str, pred_json: str, pred_dir: str, nproc: int = 8,
                             backend_args: Optional[dict] = None,
                             show_progress: bool = False) -> Tuple[PanopticStats, CategoryInfo]:
    """PQ statistics of COCO-panoptic predictions against COCO-panoptic ground truth.

    Every ground-truth image must have exactly one prediction and every prediction a ground-truth image;
    otherwise a :class:`~mmpanoptic.errors.DataError` names the images (see the module docstring for the
    other checks).

    Args:
        gt_json (str): ground-truth JSON (``annotations``, ``categories``; ``images`` with ``height`` and
            ``width`` are checked against the PNGs).
        gt_dir (str): folder of ground-truth PNGs (``annotations[].file_name``).
        pred_json (str): prediction JSON (``annotations`` with ``image_id``, ``file_name``,
            ``segments_info``); category ids as in the ground truth.
        pred_dir (str): folder of predicted PNGs.
        nproc (int): number of processes.
        backend_args (dict, optional): file backend of the ground truth.
        show_progress (bool): show a progress bar on stderr when it is a terminal.

    Returns:
        tuple: summed :class:`PanopticStats` and the ground truth's :class:`CategoryInfo`.
    """
    gt = load_json(gt_json)
    pred = load_json(pred_json, required=('annotations', ))
    categories = CategoryInfo(gt['categories'], gt_json)
    if len(gt['annotations']) == 0:
        raise DataError(f'{gt_json}: no annotation to evaluate.')
    pairs = match_image_annotations(gt['annotations'], pred['annotations'], gt_json, pred_json)
    sizes = _image_sizes(gt.get('images'), gt_json)
    cat2label = categories.cat2label
    tasks = [(_coco_png(gt_dir, gt_ann, cat2label, gt_json, size=sizes.get(gt_ann['image_id']),
                        backend_args=backend_args), _coco_png(pred_dir, pred_ann, cat2label, pred_json),
              categories.num_classes) for gt_ann, pred_ann in pairs]
    stats = PanopticStats(categories.num_classes)
    for image_stats in _run(_image_stats, tasks, nproc, show_progress):
        stats += image_stats
    return stats, categories


def _frame_number(path: str) -> int:
    stem = osp.splitext(osp.basename(path))[0]
    if not re.fullmatch(r'\d+', stem):
        raise DataError(f'{path}: frame file names must be frame numbers (e.g. 000012.png).')
    return int(stem)


def _list_pngs(folder: str) -> List[str]:
    return sorted(name for name in os.listdir(folder) if name.lower().endswith('.png'))


def _compare_names(gt_names: Sequence[str], pred_names: Sequence[str], what: str, gt_where: str,
                   pred_where: str) -> None:
    missing = sorted(set(gt_names) - set(pred_names), key=str)
    if missing:
        raise DataError(f'{pred_where}: missing prediction {what}(s) {missing[:5]} (of {len(missing)}) that '
                        f'{gt_where} has.')
    extra = sorted(set(pred_names) - set(gt_names), key=str)
    if extra:
        raise DataError(f'{pred_where}: extra prediction {what}(s) {extra[:5]} (of {len(extra)}) that '
                        f'{gt_where} does not have.')


def _step_tasks(gt_dir: str, pred_dir: str, num_classes: int, thing_classes: Sequence[int]):
    for folder in (gt_dir, pred_dir):
        if not osp.isdir(folder):
            raise FileNotFoundError(f'{folder}: folder not found.')
    sequences = sorted(name for name in os.listdir(gt_dir) if osp.isdir(osp.join(gt_dir, name)))
    if not sequences:
        raise DataError(f'{gt_dir}: no sequence folder (expected <seq>/<frame>.png).')
    pred_sequences = sorted(name for name in os.listdir(pred_dir) if osp.isdir(osp.join(pred_dir, name)))
    _compare_names(sequences, pred_sequences, 'sequence', gt_dir, pred_dir)
    layout = {}
    for sequence in sequences:
        gt_frames = _list_pngs(osp.join(gt_dir, sequence))
        if not gt_frames:
            raise DataError(f'{osp.join(gt_dir, sequence)}: empty sequence folder (no PNG).')
        pred_frames = _list_pngs(osp.join(pred_dir, sequence))
        _compare_names(gt_frames, pred_frames, 'frame', osp.join(gt_dir, sequence), osp.join(pred_dir, sequence))
        numbers = sorted(_frame_number(osp.join(gt_dir, sequence, name)) for name in gt_frames)
        gaps = [b for a, b in zip(numbers, numbers[1:]) if b != a + 1]
        if len(set(numbers)) != len(numbers) or gaps:
            raise DataError(f'{osp.join(gt_dir, sequence)}: frame numbers are not consecutive (first break at '
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
    pairs = match_image_annotations(gt['annotations'], pred['annotations'], gt_json, pred_json,
                                    pred_keys=('segments_info', ))
    sizes = _image_sizes(gt.get('images'), gt_json)
    layout: Dict[str, list] = {}
    order: Dict[str, list] = {}
    for gt_ann, pred_ann in pairs:
        image_id = str(gt_ann['image_id'])
        match = re.match(r'(\d+)_(\d+)_', image_id)
        if match is None:
            raise DataError(f'{gt_json}: image_id {image_id!r} is not <video>_<frame>_<city>_<seq>_<frame>.')
        task = (_coco_png(gt_dir, gt_ann, categories.cat2label, gt_json, size=sizes.get(gt_ann['image_id'])),
                _coco_png(osp.join(pred_dir, 'pan_pred'), pred_ann, categories.cat2label, pred_json,
                          file_name=pred_ann.get('file_name', f'{image_id}.png')))
        layout.setdefault(match.group(1), []).append(task)
        order.setdefault(match.group(1), []).append(int(match.group(2)))
    for video, tasks in layout.items():
        frames = order[video]
        if len(set(frames)) != len(frames):
            raise DataError(f'{gt_json}: video {video} has duplicated frame numbers {sorted(frames)}.')
        layout[video] = [task for _, task in sorted(zip(frames, tasks), key=lambda pair: pair[0])]
    return layout, categories


def _vipseg_videos(content: dict, source: str, frame_keys: Sequence[str]) -> Dict[ImageId, List[dict]]:
    """``{video_id: frame annotations}`` of a VIPSeg JSON (``annotations: [{video_id, annotations}]``).

    Raises:
        DataError: an entry is not a ``{video_id, annotations: [...]}`` object, a video is listed twice or a
            frame lacks one of ``frame_keys``.
    """
    videos: Dict[ImageId, List[dict]] = {}
    for index, video in enumerate(content['annotations']):
        if not (isinstance(video, dict) and isinstance(video.get('video_id'), (int, str))
                and isinstance(video.get('annotations'), list)):
            raise DataError(f'{source}: annotations[{index}] is not a {{video_id, annotations: [...]}} object (write '
                            'one entry per video)')
        video_id = video['video_id']
        if video_id in videos:
            raise DataError(f'{source}: video {video_id!r} is listed twice (each video must be listed once)')
        for frame_index, frame in enumerate(video['annotations']):
            missing = [key for key in frame_keys if not isinstance(frame, dict) or key not in frame]
            if missing:
                raise DataError(f'{source}: video {video_id!r}, frame annotations[{frame_index}]: no '
                                f'{" and no ".join(repr(key) for key in missing)} (every frame needs '
                                f'{" and ".join(repr(key) for key in frame_keys)})')
        videos[video_id] = video['annotations']
    return videos


def _vipseg_tasks(gt_json: str, gt_dir: str, pred_dir: str):
    gt = load_json(gt_json)
    pred_json = osp.join(pred_dir, 'pred.json')
    pred = load_json(pred_json, required=('annotations', ))
    categories = CategoryInfo(gt['categories'], gt_json)
    gt_videos = _vipseg_videos(gt, gt_json, ('file_name', 'segments_info'))
    pred_videos = _vipseg_videos(pred, pred_json, ('segments_info', ))
    if not gt_videos:
        raise DataError(f'{gt_json}: no video to evaluate.')
    _compare_names(list(gt_videos), list(pred_videos), 'video', gt_json, pred_json)
    sizes = {}
    for index, video in enumerate(gt.get('videos') or []):
        if isinstance(video, dict) and isinstance(video.get('video_id'), (int, str)):
            sizes[video['video_id']] = _image_sizes(video.get('images'), gt_json, f'videos[{index}].images')
    layout = {}
    for video, gt_frames in gt_videos.items():
        if not gt_frames:
            raise DataError(f'{gt_json}: video {video} has no annotated frame.')
        frames = pred_videos[video]
        key = 'file_name' if all('file_name' in a for a in frames) else 'image_id'
        unnamed = [index for index, a in enumerate(frames) if key not in a]
        if unnamed:
            raise DataError(f'{pred_json}: video {video!r}, frame annotations[{unnamed[0]}]: neither "file_name" nor '
                            '"image_id" (name every predicted frame by one of them)')
        predictions = {}
        for a in frames:
            if a[key] in predictions:
                raise DataError(f'{pred_json}: video {video!r}: frame {a[key]!r} is predicted twice (remove the '
                                'duplicate)')
            predictions[a[key]] = a
        unnamed = [index for index, a in enumerate(gt_frames) if key not in a]
        if unnamed:
            raise DataError(f'{gt_json}: video {video!r}, frame annotations[{unnamed[0]}]: no {key!r}, by which '
                            f'{pred_json} names its frames (give the frames the same {key} on both sides)')
        names = [a[key] for a in gt_frames]
        if len(set(names)) != len(names):
            raise DataError(f'{gt_json}: video {video!r}: a frame is annotated twice (each frame must be listed once)')
        _compare_names(names, list(predictions), f'frame of video {video}', gt_json, pred_json)
        video_sizes = sizes.get(video, {})
        layout[video] = [(_coco_png(osp.join(gt_dir, video), a, categories.cat2label, gt_json,
                                    size=video_sizes.get(a.get('image_id'))),
                          _coco_png(osp.join(pred_dir, 'pan_pred', video), predictions[a[key]], categories.cat2label,
                                    pred_json, file_name=predictions[a[key]].get('file_name', a['file_name'])))
                         for a in sorted(gt_frames, key=lambda a: a['file_name'])]
    return layout, categories


def video_folder_histograms(fmt: str, gt_dir: str, pred_dir: str, gt_json: Optional[str] = None,
                            num_classes: Optional[int] = None, thing_classes: Optional[Sequence[int]] = None,
                            nproc: int = 8,
                            show_progress: bool = False) -> Tuple[Dict[str, List[SegmentHistogram]], int, List[int]]:
    """Segment histograms of every annotated frame of every sequence of a folder of video predictions.

    Every ground-truth sequence and frame must have a prediction and vice versa (see the module docstring).

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
        show_progress (bool): show a progress bar on stderr when it is a terminal.

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
    histograms = list(_run(file_histogram, flat, nproc, show_progress))
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
