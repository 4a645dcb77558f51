"""Image panoptic quality metric (COCO, Cityscapes, ADE20K, Mapillary Vistas)."""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import mmcv
import numpy as np
from mmdet.evaluation.metrics import CocoPanopticMetric
from mmdet.evaluation.metrics.coco_panoptic_metric import parse_pq_results, print_panoptic_table
from mmengine.fileio import dump
from mmengine.logging import MMLogger

from mmpanoptic.errors import DataError
from mmpanoptic.fileio import load_json
from mmpanoptic.registry import METRICS
from mmpanoptic.structures.panoptic_encoding import coco_rgb
from ..functional import (CocoPanopticPNG, PanopticStats, WorkerPool, compact_ids, dataset_cat2label, match_segments,
                          mmdet_segments_to_coco, prediction_histogram, prediction_lookup)


def prediction_stats(gt: CocoPanopticPNG, pred: np.ndarray, num_classes: int, name: str) -> PanopticStats:
    """PQ statistics of one predicted map (H, W) against its ground-truth PNG (the per-image work)."""
    return match_segments(prediction_histogram(gt, pred, num_classes, name), num_classes, crowd_rule=True)


@METRICS.register_module()
class PanopticQualityMetric(CocoPanopticMetric):
    """PQ / SQ / RQ with panopticapi's rules, for every dataset in COCO-panoptic format.

    Compared with mmdet's :class:`CocoPanopticMetric` (same constructor arguments):

    * Statistics are computed from the predicted map and the ground-truth PNG (vectorised joint
      histogram; no round trip of predictions through PNG files), on every rank, by ``nproc`` worker
      processes that run alongside inference (see :class:`~mmpanoptic.evaluation.functional.WorkerPool`);
      only per-class tp / fp / fn / IoU sums are gathered across ranks. Results do not depend on
      ``nproc``.
    * The ground truth is the one of the dataset being evaluated: each sample's ``seg_map_path`` and
      ``segments_info`` (mmpanoptic's and mmdet's panoptic datasets pack them). ``ann_file`` and
      ``seg_prefix`` are needed only for samples without them (test-dev image lists, other datasets); when
      given for samples that have them, they must describe the same images (same PNG folder and file name,
      same image size), otherwise evaluation stops with :class:`~mmpanoptic.errors.DataError` before a
      wrong PQ can be reported (overriding only ``test_dataloader.dataset.data_root`` therefore works).
    * File names of written predictions come from the annotation file (``annotations[].file_name``), the
      sample's ``seg_map_path`` or ``img_path`` with ``img_suffix`` replaced by ``seg_suffix``, so Cityscapes
      (``_leftImg8bit.png`` -> ``_gtFine_panoptic.png``) and string image ids work.
    * A dataset that is a subset of its annotation file (``indices=``; the dataset's meta has ``subset``)
      is reported as partial: in the table, in the log and in the returned ``partial_images`` /
      ``total_images``.
    * ``format_only=True`` writes a test-server submission (``{outfile_prefix}.panoptic.json`` and
      ``{outfile_prefix}.panoptic/*.png``, category ids of ``ann_file`` or of the dataset's
      ``category_ids``); ``outfile_prefix`` alone also writes it and still evaluates. The written files can
      be re-evaluated with ``tools/analysis_tools/eval_panoptic.py`` (which uses ``nproc`` processes).
    * Bad input (missing PNG, size mismatch, ids in the PNG that the JSON does not list and the reverse,
      unknown categories, an annotation file with an image id twice) raises an error naming the image; a
      subset without segments gives 0 with a warning instead of a division by zero.

    Args:
        ann_file (str, optional): COCO-panoptic JSON of the ground truth, for samples without their own
            (see above); also the category ids of written predictions.
        seg_prefix (str, optional): folder of the ground-truth PNGs of ``ann_file``.
        classwise (bool): log the per-class table. Defaults to False.
        format_only (bool): only write the submission files. Defaults to False.
        outfile_prefix (str, optional): prefix of the written files; required with ``format_only``.
        nproc (int): worker processes per rank for decoding the ground truth and matching (capped by the
            CPUs per rank); 1 computes everything in the calling process. Defaults to 1: the pool forks
            during inference, which on a shared 2-core machine was slower than 1 process; use it on
            machines with idle cores.
        img_suffix (str): suffix of image names replaced to get ground-truth names when neither the
            annotation file nor ``seg_map_path`` gives them. Defaults to ``'.jpg'``.
        seg_suffix (str): the replacement. Defaults to ``'.png'``.
        file_client_args, backend_args, collect_device, prefix: as in :class:`CocoPanopticMetric`.
    """
    default_prefix: Optional[str] = 'coco_panoptic'

    def __init__(self,
                 ann_file: Optional[str] = None,
                 seg_prefix: Optional[str] = None,
                 classwise: bool = False,
                 format_only: bool = False,
                 outfile_prefix: Optional[str] = None,
                 nproc: int = 1,
                 file_client_args: Optional[dict] = None,
                 backend_args: Optional[dict] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 img_suffix: str = '.jpg',
                 seg_suffix: str = '.png') -> None:
        self.tmp_dir = None  # read by CocoPanopticMetric.__del__, also when the check below fails
        if format_only and outfile_prefix is None:
            raise ValueError('PanopticQualityMetric: format_only=True needs outfile_prefix (where the '
                             'submission files are written).')
        super().__init__(
            ann_file=None,
            seg_prefix=seg_prefix,
            classwise=classwise,
            format_only=format_only,
            outfile_prefix=outfile_prefix,
            nproc=nproc,
            file_client_args=file_client_args,
            backend_args=backend_args,
            collect_device=collect_device,
            prefix=prefix)
        self.write_files = outfile_prefix is not None
        self.img_suffix = img_suffix
        self.seg_suffix = seg_suffix
        self.ann_file = ann_file
        self._annotations: Optional[Dict] = None
        self._json_categories: Optional[List[dict]] = None
        self._images: Dict = {}
        if ann_file is not None:
            content = load_json(ann_file, backend_args=backend_args)
            self._annotations = {}
            for ann in content['annotations']:
                if ann['image_id'] in self._annotations:
                    raise DataError(f'{ann_file}: image_id {ann["image_id"]!r} has two annotations (each image '
                                    'must be annotated once; fix the file)')
                self._annotations[ann['image_id']] = ann
            self._images = {img['id']: img for img in content.get('images', [])}
            self._json_categories = content['categories']
        self._cat_map: Optional[Dict[int, int]] = None
        self._label2cat: Optional[Dict[int, int]] = None
        self._workers = WorkerPool(prediction_stats, nproc)

    # ------------------------------------------------------------------ categories
    @property
    def num_classes(self) -> int:
        return len(self.dataset_meta['classes'])

    @property
    def thing_mask(self) -> np.ndarray:
        things = set(self.dataset_meta['thing_classes'])
        return np.array([name in things for name in self.dataset_meta['classes']])

    def _cat2label(self) -> Dict[int, int]:
        """Category id of ``ann_file`` (or of the samples' ``segments_info``) -> contiguous label."""
        if self._cat_map is None:
            self._cat_map = ({label: label for label in range(self.num_classes)} if self._json_categories is None
                             else dataset_cat2label(self._json_categories, self.dataset_meta, self.ann_file))
        return self._cat_map

    # ------------------------------------------------------------------ per sample
    def _check_agreement(self, sample: dict) -> None:
        """Raise unless ``ann_file``/``seg_prefix`` describe the sample's own ground truth."""
        img_id, gt_path = sample['img_id'], sample['seg_map_path']
        fix = ('remove ann_file and seg_prefix from the evaluator so that it reads the ground truth of the '
               'dataset it evaluates, or point both to the same files')
        if self.seg_prefix is not None and osp.realpath(self.seg_prefix) != osp.realpath(osp.dirname(gt_path)):
            raise DataError(f'{self.seg_prefix}: the evaluator\'s ground-truth folder is not the one of the dataset '
                            f'it evaluates ({osp.dirname(gt_path)}) ({fix})')
        if self._annotations is None:
            return
        annotation = self._annotations.get(img_id)
        if annotation is None:
            raise DataError(f'{self.ann_file}: no annotation for image_id {img_id!r} ({sample.get("img_path")}) of '
                            f'the dataset being evaluated ({fix})')
        if annotation['file_name'] != osp.basename(gt_path):
            raise DataError(f'{self.ann_file}: image_id {img_id!r} is {annotation["file_name"]!r} there but '
                            f'{osp.basename(gt_path)!r} in the dataset being evaluated ({fix})')
        image = self._images.get(img_id)
        shape = tuple(sample.get('ori_shape') or ())[:2]
        if image is not None and shape and (image.get('height'), image.get('width')) != shape:
            raise DataError(f'{self.ann_file}: image_id {img_id!r} is {image.get("width")}x{image.get("height")} '
                            f'(WxH) there but {shape[1]}x{shape[0]} in the dataset being evaluated ({fix})')

    def _ground_truth(self, sample: dict) -> Tuple[Optional[str], str, List[dict], Dict[int, int]]:
        """Ground-truth PNG path (None if unknown), its file name, its COCO segments_info and category map."""
        if sample.get('seg_map_path') and 'segments_info' in sample:
            self._check_agreement(sample)
            segments = mmdet_segments_to_coco(sample['segments_info'], self.thing_mask)
            identity = {label: label for label in range(self.num_classes)}
            return sample['seg_map_path'], osp.basename(sample['seg_map_path']), segments, identity
        img_id = sample['img_id']
        if self._annotations is not None:
            if img_id not in self._annotations:
                raise DataError(f'{self.ann_file}: no annotation for image_id {img_id!r} '
                                f'({sample.get("img_path")}).')
            annotation = self._annotations[img_id]
            segm_file = annotation['file_name']
            gt_path = osp.join(self.seg_prefix, segm_file) if self.seg_prefix is not None else None
            return gt_path, segm_file, annotation['segments_info'], self._cat2label()
        if not self.format_only:
            raise DataError(f'{sample.get("img_path")}: the sample has no ground truth (seg_map_path and '
                            'segments_info); give the evaluator ann_file and seg_prefix, or use a dataset with '
                            'annotations')
        segm_file = osp.basename(sample['img_path']).replace(self.img_suffix, self.seg_suffix)
        return None, segm_file, [], self._cat2label()

    def _write_prediction(self, pred: np.ndarray, img_id, segm_file: str) -> dict:
        """Write one prediction as a COCO-panoptic PNG and return its annotation (ids re-numbered 1..N)."""
        if self._label2cat is None:
            self._label2cat = {label: cat for cat, label in self._cat2label().items()}
            if self._json_categories is None and self.dataset_meta.get('category_ids'):
                self._label2cat = dict(enumerate(int(i) for i in self.dataset_meta['category_ids']))
        unique, index = compact_ids(pred.reshape(-1))
        labels, _ = prediction_lookup(self.num_classes, segm_file)(unique)
        segment_ids = np.where(labels >= 0, np.cumsum(labels >= 0), 0)
        png = segment_ids[index].reshape(pred.shape)
        areas = np.bincount(png.reshape(-1), minlength=len(unique) + 1)
        thing_mask = self.thing_mask
        segments = [
            dict(id=int(segment_id), category_id=int(self._label2cat[int(label)]), area=int(areas[segment_id]),
                 isthing=int(thing_mask[label])) for segment_id, label in zip(segment_ids, labels) if label >= 0
        ]
        mmcv.imwrite(coco_rgb(png)[:, :, ::-1], osp.join(self.seg_out_dir, segm_file))
        return dict(image_id=img_id, file_name=segm_file, segments_info=segments)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Compute the PQ statistics of each sample (and write the prediction files if asked).

        Args:
            data_batch (dict): unused.
            data_samples (Sequence[dict]): samples with ``img_id``, ``img_path``, ``pred_panoptic_seg``
                (``sem_seg`` of shape (1, H, W), ``label + instance * 1000``, VOID = num_classes) and,
                without ``ann_file``, ``segments_info`` / ``seg_map_path``.
        """
        for sample in data_samples:
            gt_path, segm_file, segments, cat2label = self._ground_truth(sample)
            pred = sample['pred_panoptic_seg']['sem_seg'].cpu().numpy()[0].astype(np.int64)
            # one entry per sample: mmengine truncates the gathered results to the dataset size
            result = dict(prediction=None, stats=None)
            if self.write_files:
                result['prediction'] = self._write_prediction(pred, sample['img_id'], segm_file)
            if not self.format_only:
                if gt_path is None:
                    raise DataError(f'{sample.get("img_path")}: no ground-truth location; set seg_prefix or give '
                                    'the samples a seg_map_path.')
                self._workers.submit(result, 'stats', CocoPanopticPNG(gt_path, segments, cat2label, self.backend_args),
                                     pred, self.num_classes, f'prediction of {sample["img_path"]}')
            self.results.append(result)

    def evaluate(self, size: int) -> dict:
        """Wait for the statistics of this rank's images, then gather and compute as mmengine does."""
        self._workers.collect()
        return super().evaluate(size)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Sum the statistics of all images (all ranks) and compute PQ, SQ, RQ (percent).

        Returns:
            dict: ``PQ, SQ, RQ, PQ_th, SQ_th, RQ_th, PQ_st, SQ_st, RQ_st``; empty with ``format_only``.
        """
        logger: MMLogger = MMLogger.get_current_instance()
        if self.write_files:
            predictions = [result['prediction'] for result in results]
            ids = self.dataset_meta.get('category_ids') or range(self.num_classes)
            categories = self._json_categories or [
                dict(id=int(cat_id), name=name, isthing=int(thing))
                for cat_id, name, thing in zip(ids, self.dataset_meta['classes'], self.thing_mask)
            ]
            dump(dict(annotations=predictions, categories=categories), f'{self.outfile_prefix}.panoptic.json')
            logger.info(f'Panoptic predictions written to {self.outfile_prefix}.panoptic.json and '
                        f'{self.seg_out_dir}/ ({len(predictions)} images).')
        if self.format_only:
            return dict()
        stats = PanopticStats(self.num_classes)
        for result in results:
            stats += result['stats']
        summary = stats.summary(self.thing_mask, context='PQ')
        subset = self.dataset_meta.get('subset')
        if subset:
            logger.warning(f'PARTIAL evaluation: PQ over {subset["size"]} of the {subset["total"]} images of '
                           f'{subset["ann_file"]} ({subset.get("reason", "a subset")}); not the PQ of the dataset')
        classwise = None
        if self.classwise:
            per_class = summary['per_class']
            classwise = {
                name: {key: float(per_class[key][label]) for key in ('pq', 'sq', 'rq')}
                for label, name in enumerate(self.dataset_meta['classes'])
            }
        print_panoptic_table(summary, classwise, logger=logger)
        metrics = parse_pq_results(summary)
        if subset:
            metrics.update(partial_images=subset['size'], total_images=subset['total'])
        return metrics
