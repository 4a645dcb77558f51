"""Video panoptic metric: VPQ (per-dataset windows, conventions A/B) and STQ."""
import logging
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmdet.evaluation.metrics.base_video_metric import BaseVideoMetric
from mmengine.logging import MMLogger, print_log
from terminaltables import AsciiTable

from mmpanoptic.registry import METRICS
from ..functional import (CLASS_MEANS, DATASET_WINDOWS, VIDEO_FORMATS, CocoPanopticPNG, PanopticPNG,
                          StepPanopticPNG, WorkerPool, dataset_cat2label, evaluate_video_sequences, load_json,
                          mmdet_segments_to_coco, prediction_histogram)


def _get(obj, key, default=None):
    """``obj[key]`` for dicts and data elements alike."""
    value = obj.get(key, default)
    return default if value is None else value


@METRICS.register_module()
class VideoPanopticMetric(BaseVideoMetric):
    """VPQ and STQ of video panoptic predictions.

    Inputs are mmdet ``TrackDataSample``s (or a flat list of frame ``DetDataSample``s) whose frames carry
    metainfo ``video_id``, ``frame_id`` and ``seg_map_path`` (ground-truth PNG in the dataset's native
    encoding) and ``pred_panoptic_seg.sem_seg`` = ``label + track_id * 1000`` (VOID = num_classes).
    Each frame is reduced to a small joint histogram in :meth:`process`; :meth:`compute_metrics` gathers
    the frames of all ranks, groups them by ``video_id`` and evaluates every sequence once, whole.

    Ground-truth formats (``format``):

    * ``'kitti-step'``: R = dataset category id (255 void), G * 256 + B = track id; R is mapped to the
      label by ``dataset_meta['category_ids']`` (KITTI-STEP: Cityscapes trainIds, labels things first)
      or taken as the label when the dataset declares none. Convention B by default: no crowd rule, a
      thing region without instance id is an ordinary segment.
    * ``'cityscapes-vps'``, ``'vipseg'``: COCO-panoptic RGB ids; ``segments_info`` from the frame
      (mmdet's ``{id, category, is_thing}`` or COCO's ``{id, category_id, iscrowd}``) or from ``ann_file``
      (per-image or VIPSeg video JSON, matched by PNG file name). Convention A (panopticapi crowd rule).

    Frames without ``seg_map_path`` (unannotated frames of Cityscapes-VPS) are not scored; their number
    is logged. Windows run over the annotated frames of a sequence in ``frame_id`` order. The per-frame
    work (PNG decoding, joint histogram) runs in ``nproc`` worker processes alongside inference.

    Args:
        metric (str | Sequence[str]): ``'VPQ'`` and/or ``'STQ'``. Defaults to both.
        format (str): ground-truth format, one of ``kitti-step``, ``cityscapes-vps``, ``vipseg``.
        windows (Sequence[int], optional): VPQ window lengths in annotated frames; defaults to the
            dataset's set (Cityscapes-VPS and KITTI-STEP 1-4, VIPSeg 1, 2, 4, 6).
        class_mean (str): ``'present'`` (classes with tp + fp + fn > 0, panopticapi; default) or ``'all'``
            (every class, absent ones count 0: the STEP scripts' convention).
        crowd_rule (bool, optional): apply the panopticapi crowd rule in VPQ; defaults to False for
            KITTI-STEP (convention B) and True otherwise (convention A).
        thing_classes (Sequence[str | int], optional): the tracked thing classes, by class name or
            label: crowd in STEP ground truth, STQ tracks and the VPQ_th split. Defaults to the dataset's
            ``thing_classes``. KITTI-STEP's official set is person and car (trainIds 11 and 13), which is
            what :class:`~mmpanoptic.datasets.KITTISTEPDataset` declares and what its base config sets
            explicitly, so that a metainfo listing all 8 Cityscapes things still gets the official STQ.
        ann_file (str, optional): ground-truth JSON for the COCO-panoptic formats.
        stq_drop_void_predictions (bool): Video K-Net's KITTI-STEP STQ variant (ground-truth void pixels
            removed from predicted tracks). Defaults to False (deeplab2 reference).
        nproc (int): worker processes per rank for the per-frame work (capped by the CPUs per rank); 1
            computes in the calling process. Results do not depend on it. Defaults to 1 (see
            PanopticQualityMetric).
        backend_args (dict, optional): file backend of the ground-truth PNGs.
        collect_device (str): ``'cpu'``.
        prefix (str, optional): metric name prefix. Defaults to ``'video_panoptic'``.
    """
    default_prefix: Optional[str] = 'video_panoptic'

    def __init__(self,
                 metric=('VPQ', 'STQ'),
                 format: str = 'kitti-step',
                 windows: Optional[Sequence[int]] = None,
                 class_mean: str = 'present',
                 crowd_rule: Optional[bool] = None,
                 thing_classes: Optional[Sequence[Union[str, int]]] = None,
                 ann_file: Optional[str] = None,
                 stq_drop_void_predictions: bool = False,
                 nproc: int = 1,
                 backend_args: Optional[dict] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.metrics = [metric] if isinstance(metric, str) else list(metric)
        unknown = set(self.metrics) - {'VPQ', 'STQ'}
        if unknown or not self.metrics:
            raise ValueError(f'VideoPanopticMetric: metric must be VPQ and/or STQ, got {self.metrics}.')
        if format not in VIDEO_FORMATS:
            raise ValueError(f'VideoPanopticMetric: format must be one of {VIDEO_FORMATS}, got {format!r}.')
        if class_mean not in CLASS_MEANS:
            raise ValueError(f'VideoPanopticMetric: class_mean must be one of {CLASS_MEANS}, got {class_mean!r}.')
        self.format = format
        self.windows = tuple(windows) if windows is not None else DATASET_WINDOWS[format]
        self.class_mean = class_mean
        self.crowd_rule = (format != 'kitti-step') if crowd_rule is None else crowd_rule
        self._thing_classes = None if thing_classes is None else list(thing_classes)
        self.stq_drop_void_predictions = stq_drop_void_predictions
        self.backend_args = backend_args
        self.ann_file = ann_file
        self._annotations: Optional[Dict[str, dict]] = None
        self._json_categories: Optional[List[dict]] = None
        self._cat_map: Optional[Dict[int, int]] = None
        if ann_file is not None:
            self._load_annotations(ann_file)
        self._workers = WorkerPool(prediction_histogram, nproc)

    def _load_annotations(self, ann_file: str) -> None:
        content = load_json(ann_file)
        self._json_categories = content['categories']
        self._annotations = {}
        for entry in content['annotations']:
            if 'segments_info' in entry:
                self._annotations[entry['file_name']] = entry
                continue
            for frame in entry['annotations']:
                self._annotations[f'{entry["video_id"]}/{frame["file_name"]}'] = frame

    @property
    def num_classes(self) -> int:
        return len(self.dataset_meta['classes'])

    @property
    def thing_classes(self) -> List[int]:
        """Labels of the tracked thing classes."""
        classes = list(self.dataset_meta['classes'])
        names = self.dataset_meta['thing_classes'] if self._thing_classes is None else self._thing_classes
        labels = []
        for name in names:
            if isinstance(name, str) and name not in classes:
                raise ValueError(f'VideoPanopticMetric: thing class {name!r} is not a dataset class {classes}.')
            label = classes.index(name) if isinstance(name, str) else int(name)
            if not 0 <= label < len(classes):
                raise ValueError(f'VideoPanopticMetric: thing class label {label} is outside 0..{len(classes) - 1}.')
            labels.append(label)
        return labels

    @property
    def thing_mask(self) -> np.ndarray:
        mask = np.zeros(self.num_classes, bool)
        mask[self.thing_classes] = True
        return mask

    def _cat2label(self) -> Dict[int, int]:
        """Category id of ``ann_file`` -> contiguous label."""
        if self._cat_map is None:
            self._cat_map = dataset_cat2label(self._json_categories, self.dataset_meta, self.ann_file)
        return self._cat_map

    def _ground_truth(self, frame) -> PanopticPNG:
        """The ground-truth PNG of a frame and how to decode it."""
        path = _get(frame, 'seg_map_path')
        if self.format == 'kitti-step':
            category_ids = self.dataset_meta.get('category_ids')
            return StepPanopticPNG(path, self.num_classes, tuple(self.thing_classes),
                                   None if not category_ids else tuple(category_ids), backend_args=self.backend_args)
        segments_info = _get(frame, 'segments_info')
        if segments_info is not None:
            return CocoPanopticPNG(path, mmdet_segments_to_coco(segments_info, self.thing_mask),
                                   {label: label for label in range(self.num_classes)}, self.backend_args)
        if self._annotations is None:
            raise ValueError(f'{path}: {self.format} ground truth needs segments_info in the sample or ann_file.')
        key = f'{osp.basename(osp.dirname(path))}/{osp.basename(path)}'
        annotation = self._annotations.get(key, self._annotations.get(osp.basename(path)))
        if annotation is None:
            raise ValueError(f'{self.ann_file}: no annotation for ground-truth frame {path}.')
        return CocoPanopticPNG(path, annotation['segments_info'], self._cat2label(), self.backend_args)

    def _frames(self, data_samples: Sequence) -> list:
        frames = []
        for sample in data_samples:
            video = _get(sample, 'video_data_samples')
            frames.extend(video if video is not None else [sample])
        return frames

    def process(self, data_batch: dict, data_samples: Sequence) -> None:
        """Reduce each frame to its segment histogram.

        Args:
            data_batch (dict): unused.
            data_samples (Sequence): ``TrackDataSample``s (or their dicts) or frame ``DetDataSample``s.
        """
        for frame in self._frames(data_samples):
            video_id, frame_id = _get(frame, 'video_id'), _get(frame, 'frame_id')
            if video_id is None or frame_id is None:
                raise ValueError(f'A frame ({_get(frame, "img_path")}) has no video_id/frame_id metainfo.')
            if _get(frame, 'seg_map_path') is None:
                self.results.append(dict(video_id=video_id, frame_id=int(frame_id), histogram=None))
                continue
            pred = _get(_get(frame, 'pred_panoptic_seg'), 'sem_seg')
            if pred is None:
                raise ValueError(f'Frame {frame_id} of video {video_id}: no pred_panoptic_seg.sem_seg.')
            pred = pred.cpu().numpy()[0].astype(np.int64) if hasattr(pred, 'cpu') else np.asarray(pred)[0]
            result = dict(video_id=video_id, frame_id=int(frame_id), histogram=None)
            self._workers.submit(result, 'histogram', self._ground_truth(frame), pred, self.num_classes,
                                 f'prediction of video {video_id} frame {frame_id}')
            self.results.append(result)

    def evaluate(self, size: int) -> dict:
        """Wait for the histograms of this rank's frames, then gather and compute as mmengine does."""
        self._workers.collect()
        return super().evaluate(size)

    def _group(self, results: list) -> Dict[str, list]:
        """Histograms of the annotated frames of each sequence, in frame order, each frame once."""
        frames: Dict = defaultdict(dict)
        unannotated, padded = 0, 0
        for result in results:
            seen = frames[result['video_id']]
            if result['frame_id'] in seen:
                previous = seen[result['frame_id']]
                same = (previous is None and result['histogram'] is None) or (
                    previous is not None and result['histogram'] is not None
                    and all(np.array_equal(getattr(previous, f), getattr(result['histogram'], f))
                            for f in ('gt_id', 'pred_id', 'count')))
                if not same:
                    raise ValueError(f'Video {result["video_id"]}: frame {result["frame_id"]} was evaluated twice '
                                     'with different results.')
                padded += 1
                continue
            seen[result['frame_id']] = result['histogram']
        sequences = {}
        for video_id, seen in frames.items():
            order = sorted(seen)
            annotated = [frame_id for frame_id in order if seen[frame_id] is not None]
            unannotated += len(order) - len(annotated)
            if self.format == 'kitti-step' and annotated and annotated[-1] - annotated[0] + 1 != len(annotated):
                missing = sorted(set(range(annotated[0], annotated[-1] + 1)) - set(annotated))
                raise ValueError(f'Video {video_id}: frames {missing[:10]} are missing; KITTI-STEP windows need '
                                 'every frame of a sequence.')
            if not annotated:
                raise ValueError(f'Video {video_id}: no annotated frame (no seg_map_path).')
            sequences[str(video_id)] = [seen[frame_id] for frame_id in annotated]
        logger = MMLogger.get_current_instance()
        if padded:
            print_log(f'{padded} repeated frames (sampler padding) were counted once.', logger=logger)
        if unannotated:
            print_log(f'{unannotated} frames without ground truth were not scored.', logger=logger)
        return sequences

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """VPQ / STQ of all sequences (percent).

        Returns:
            dict: ``VPQ, VPQ_th, VPQ_st, VPQ_w<k>`` (per window) and/or ``STQ, AQ, SQ``.
        """
        if not results:
            raise ValueError('VideoPanopticMetric: no frame was processed.')
        sequences = self._group(results)
        scores = evaluate_video_sequences(sequences, self.num_classes, self.thing_classes, self.metrics, self.windows,
                                          self.crowd_rule, self.class_mean, self.stq_drop_void_predictions)
        print_log(format_video_results(scores), logger=MMLogger.get_current_instance())
        metrics = {key: scores[key] for key in ('VPQ', 'VPQ_th', 'VPQ_st', 'STQ', 'AQ', 'SQ') if key in scores}
        metrics.update({f'VPQ_w{k}': value for k, value in scores.get('VPQ_per_window', {}).items()})
        subset = self.dataset_meta.get('subset') if self.dataset_meta else None
        if subset:  # the dataset is a part of its annotation (``indices=``): never reported as the whole
            print_log(f'PARTIAL evaluation: {subset["size"]} of the {subset["total"]} videos of {subset["ann_file"]} '
                      f'({subset.get("reason", "a subset")}); not the scores of the dataset',
                      logger=MMLogger.get_current_instance(), level=logging.WARNING)
            metrics.update(partial_videos=subset['size'], total_videos=subset['total'])
        return metrics


def format_video_results(scores: dict) -> str:
    """Tables of :func:`evaluate_video_sequences` results for the log."""
    lines = []
    if 'VPQ' in scores:
        table = [['window k', 'VPQ', 'VPQ_th', 'VPQ_st', 'windows']]
        for k, value in scores['VPQ_per_window'].items():
            table.append([k, f'{value:.3f}', f'{scores["VPQ_th_per_window"][k]:.3f}',
                          f'{scores["VPQ_st_per_window"][k]:.3f}', scores['VPQ_num_windows'][k]])
        table.append(['mean', f'{scores["VPQ"]:.3f}', f'{scores["VPQ_th"]:.3f}', f'{scores["VPQ_st"]:.3f}', ''])
        lines.append(f'VPQ ({scores["num_sequences"]} sequences, convention {scores["convention"]}, class mean over '
                     f'{scores["class_mean"]} classes):\n' + AsciiTable(table).table)
    if 'STQ' in scores:
        table = [['', 'STQ', 'AQ', 'SQ']]
        table += [[name] + [f'{value[key]:.3f}' for key in ('STQ', 'AQ', 'SQ')]
                  for name, value in scores['STQ_per_sequence'].items()]
        table.append(['all'] + [f'{scores[key]:.3f}' for key in ('STQ', 'AQ', 'SQ')])
        lines.append('STQ:\n' + AsciiTable(table).table)
    return '\n'.join(lines)
