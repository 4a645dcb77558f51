"""Video panoptic datasets: sequences of frames with panoptic ground truth and persistent track ids."""
from collections import defaultdict
from typing import List, Optional, Sequence

from mmdet.datasets import BaseVideoDataset
from mmengine.logging import print_log

from mmpanoptic.errors import DataError
from mmpanoptic.fileio import load_json
from mmpanoptic.registry import DATASETS
from .base_panoptic_dataset import category_to_label, check_categories, convert_segments, mark_subset


@DATASETS.register_module()
class BaseVideoPanopticDataset(BaseVideoDataset):
    """Base class of the video panoptic datasets, on mmdet's :class:`BaseVideoDataset`.

    A subclass implements :meth:`load_frames`, which returns one dict per frame with ``video_id``
    (str), ``frame_id`` (int, the frame's index in its native naming), ``img_id``, ``img_path``,
    ``seg_map_path`` (native ground-truth PNG, None without ground truth), ``seg_map_encoding``
    (``'coco'`` or ``'step'``, see :class:`~mmpanoptic.datasets.transforms.LoadPanopticGT`) and the
    encoding's keys (``segments_info`` for ``'coco'``; ``category_ids`` and ``num_things`` for
    ``'step'``). Frames are grouped into videos and sorted by ``frame_id``; a video with two frames of
    the same index, or, when :attr:`CONTIGUOUS_FRAMES`, a gap in the indices, raises a
    :class:`~mmpanoptic.errors.DataError` naming the annotation file (or image folder) and the video.
    Annotation files are read with :func:`mmpanoptic.fileio.load_json` (:meth:`read_ann_file`) and their
    entries checked as in :class:`~mmpanoptic.datasets.BasePanopticDataset`.

    As in mmdet, an item of the dataset is a video (``{video_id, images, video_length}``) and the
    ``TrackImgSampler`` draws ``(video, frame)`` pairs:

    * training: the pipeline starts with a reference-frame sampler (e.g. mmdet's
      ``UniformRefFrameSample(num_ref_imgs=1, frame_range=2)``) that picks reference frames around the
      key frame; frames without ground truth are dropped before that (a counted, logged skip);
    * testing: every frame of every video, in order, one frame per sample.

    In test mode, when mmengine's ``indices`` keeps fewer videos than the file (or folder) holds, the
    metainfo gets ``subset = dict(ann_file, size, total, reason)`` with ``size`` and ``total`` counted in
    videos (see :func:`~mmpanoptic.datasets.base_panoptic_dataset.mark_subset`).
    """

    METAINFO = dict(classes=(), thing_classes=(), stuff_classes=(), palette=[], category_ids=())
    CONTIGUOUS_FRAMES = True

    def load_frames(self) -> List[dict]:
        """One dict per frame (see class docstring)."""
        raise NotImplementedError

    def coco_frame(self, video_id: str, frame_id: int, img_info: dict, ann: Optional[dict], img_path: str,
                   seg_map_path: Optional[str]) -> dict:
        """A frame record of a COCO-panoptic encoded frame (``ann`` is None without ground truth)."""
        segments_info = []
        if ann is not None:
            segments_info, _ = convert_segments(ann['segments_info'], self.cat2label,
                                                len(self.metainfo['thing_classes']),
                                                f'{self.ann_file} (image {img_info["id"]!r})')
        return dict(video_id=video_id, frame_id=frame_id, img_id=img_info['id'], img_path=img_path,
                    seg_map_path=seg_map_path if ann is not None else None, height=img_info['height'],
                    width=img_info['width'], seg_map_encoding='coco', segments_info=segments_info)

    @property
    def source(self) -> str:
        """What the frames are read from, for messages: ``ann_file``, else the image folder."""
        return self.ann_file or self.data_prefix.get('img', '')

    def read_ann_file(self, required: Sequence[str]) -> dict:
        """The content of ``ann_file``: a JSON object with the ``required`` top-level keys, a non-empty
        ``images`` or ``videos`` list, and categories that agree with the dataset."""
        content = load_json(self.ann_file, required=required, backend_args=self.backend_args)
        if not (content.get('images') or content.get('videos')):
            raise DataError(f'{self.ann_file}: empty annotation file (no "images"/"videos" list)')
        check_categories(content.get('categories', []), self.cat2label, len(self.metainfo['thing_classes']),
                         self.ann_file)
        return content

    def load_data_list(self) -> List[dict]:
        self.cat2label = category_to_label(self.metainfo, type(self).__name__)
        frames = self.load_frames()
        if not frames:
            raise DataError(f'{self.source}: no frames found for {type(self).__name__} (ann_file={self.ann_file!r}, '
                            f'data_prefix={self.data_prefix})')
        videos = defaultdict(list)
        for frame in frames:
            videos[frame['video_id']].append(frame)
        data_list = []
        for video_id in sorted(videos):
            images = sorted(videos[video_id], key=lambda f: f['frame_id'])
            frame_ids = [f['frame_id'] for f in images]
            duplicates = sorted({i for i in frame_ids if frame_ids.count(i) > 1})
            if duplicates:
                raise DataError(f'{self.source}: video {video_id!r} has duplicate frame indices {duplicates} '
                                f'({images[frame_ids.index(duplicates[0])]["img_path"]})')
            if self.CONTIGUOUS_FRAMES:
                missing = sorted(set(range(frame_ids[0], frame_ids[-1] + 1)) - set(frame_ids))
                if missing:
                    raise DataError(f'{self.source}: video {video_id!r} is missing frame indices '
                                    f'{missing[:10]} (frames {frame_ids[0]}-{frame_ids[-1]}, '
                                    f'{images[0]["img_path"]})')
            data_list.append(dict(video_id=video_id, images=images, video_length=len(images)))
        self._num_file_videos = len(data_list)
        return data_list

    def full_init(self) -> None:
        """mmengine's initialisation, then the ``subset`` metainfo of a partial test set."""
        if self._fully_initialized:
            return
        super().full_init()
        mark_subset(self, self._num_file_videos, self.source)

    def filter_data(self) -> List[dict]:
        if self.test_mode:
            return self.data_list
        kept, skipped, total = [], 0, 0
        for video in self.data_list:
            images = [f for f in video['images'] if f['seg_map_path'] is not None]
            total += video['video_length']
            skipped += video['video_length'] - len(images)
            if images:
                kept.append(dict(video, images=images, video_length=len(images)))
        if skipped:
            print_log(f'{type(self).__name__}: skipped {skipped} of {total} training frames without ground '
                      'truth', logger='current')
        return kept

    def get_cat_ids(self, index) -> List[int]:
        """Labels of the segments of a frame ``(video_idx, frame_idx)`` or of a whole video.

        Only datasets whose frames carry ``segments_info`` can answer without reading the PNGs.
        """
        video_idx, frame_idx = index if isinstance(index, tuple) else (index, None)
        images = self.get_data_info(video_idx)['images']
        images = images if frame_idx is None else [images[frame_idx]]
        if any('segments_info' not in f for f in images):
            raise NotImplementedError(f'{type(self).__name__} frames have no segments_info; class ids need '
                                      'the ground-truth PNGs')
        return [s['category'] for f in images for s in f['segments_info']]
