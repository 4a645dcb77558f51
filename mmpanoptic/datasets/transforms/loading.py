"""Checked loading of images, and of panoptic ground truth in every encoding the datasets of this package use.

Both loaders stop on bad data with an error naming the file: ``FileNotFoundError`` for a missing file,
:class:`~mmpanoptic.errors.DataError` for an empty or corrupt file, a size that contradicts the annotation
file and ground-truth content that contradicts its ``segments_info``.
"""
from typing import Optional, Tuple

import cv2
import mmcv
import numpy as np
from mmcv.image.io import supported_backends
from mmcv.transforms import BaseTransform
from mmcv.transforms import LoadImageFromFile as MMCVLoadImageFromFile
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from mmengine import fileio
from PIL import UnidentifiedImageError

from mmpanoptic.errors import ConfigError, DataError
from mmpanoptic.registry import TRANSFORMS
from mmpanoptic.structures.panoptic_encoding import IGNORE_INDEX, STEP_SHIFT, STEP_VOID, coco_ids, step_fields

STEP_ID_OFFSET = 1 << STEP_SHIFT  # key of a thing instance: category id * 2^16 + track id


def check_decode_backend(transform: str, backend: str) -> None:
    """Raise a ``ConfigError`` unless ``backend`` is a backend of :func:`mmcv.imfrombytes`."""
    if backend not in supported_backends:
        raise ConfigError(f'{transform}: imdecode_backend {backend!r} is not one of {supported_backends}')


def read_bytes(path: str, what: str, backend_args: Optional[dict] = None,
               file_client_args: Optional[dict] = None) -> bytes:
    """The content of the file ``path`` (a ``what``, for messages), never empty.

    Args:
        path (str): local path or URI of an mmengine file backend.
        what (str): what the file is (``'image'``, ``'panoptic PNG'``).
        backend_args (dict, optional): mmengine file backend arguments.
        file_client_args (dict, optional): arguments of mmengine's deprecated ``FileClient``; used
            instead of ``backend_args`` when given.

    Raises:
        FileNotFoundError: no such file.
        DataError: the file is empty (0 bytes).
    """
    try:
        if file_client_args is not None:
            content = fileio.FileClient.infer_client(file_client_args, path).get(path)
        else:
            content = fileio.get(path, backend_args=backend_args)
    except FileNotFoundError:
        raise FileNotFoundError(f'{path}: {what} not found (check data_root, data_prefix and the file names '
                                'of the annotation file)') from None
    if not content:
        raise DataError(f'{path}: empty {what} file (0 bytes; copy or re-create it)')
    return content


def decode_image(content: bytes, path: str, what: str, flag: str, backend: str) -> np.ndarray:
    """:func:`mmcv.imfrombytes` (BGR channel order) of the bytes of ``path``, with a ``DataError`` for bytes
    that do not decode.

    mmcv's cv2 backend returns None for bytes that are no image (and fails an OpenCV assertion,
    ``!buf.empty()``, on empty bytes); Pillow raises ``UnidentifiedImageError`` (unknown format) or
    ``OSError`` (a truncated file). All of them become one ``DataError`` naming ``path``, with the decoder's
    reason when it gives one that is not about its own buffers.

    Returns:
        np.ndarray: the image, (H, W) or (H, W, C) as mmcv decodes it.
    """
    detail = ''
    try:
        image = mmcv.imfrombytes(content, flag=flag, backend=backend)
    except (cv2.error, UnidentifiedImageError):
        image = None
    except Exception as error:  # noqa: B902 - each decoder has its own errors for corrupt bytes
        image, detail = None, f': {type(error).__name__}: {" ".join(str(error).split())}'
    if image is None:
        raise DataError(f'{path}: cannot decode the {what} with {backend}{detail} (the file is corrupt or not an '
                        'image; copy or re-create it)')
    return image


@TRANSFORMS.register_module()
class LoadImageFromFile(MMCVLoadImageFromFile):
    """mmcv's :class:`~mmcv.transforms.LoadImageFromFile` that stops on bad images with an error naming the file.

    Registered in mmpanoptic's ``TRANSFORMS`` under mmcv's name, so ``dict(type='LoadImageFromFile')`` in
    every config of the ``mmpanoptic`` scope (and in the transforms that build others, such as
    ``TransformBroadcaster``) is this class; mmcv's own stays reachable as ``'mmcv.LoadImageFromFile'``.
    Arguments, added keys (``img``, ``img_shape``, ``ori_shape``) and behaviour are mmcv's, except that:

    * a missing file raises ``FileNotFoundError`` naming it;
    * an empty (0-byte) file, and bytes that do not decode (a corrupt JPEG or PNG, for which mmcv returns
      None or fails an OpenCV assertion), raise a :class:`~mmpanoptic.errors.DataError` naming the file;
      with ``ignore_empty=True`` these cases return None, as in mmcv;
    * when the data info has ``height`` and ``width`` (from the annotation file), an image of another
      size raises a ``DataError`` naming the image and both sizes, whatever ``ignore_empty``;
    * an ``imdecode_backend`` that :func:`mmcv.imfrombytes` does not have raises a
      :class:`~mmpanoptic.errors.ConfigError` when the transform is built.
    """

    def __init__(self,
                 to_float32: bool = False,
                 color_type: str = 'color',
                 imdecode_backend: str = 'cv2',
                 file_client_args: Optional[dict] = None,
                 ignore_empty: bool = False,
                 *,
                 backend_args: Optional[dict] = None) -> None:
        check_decode_backend(type(self).__name__, imdecode_backend)
        super().__init__(to_float32=to_float32, color_type=color_type, imdecode_backend=imdecode_backend,
                         file_client_args=file_client_args, ignore_empty=ignore_empty, backend_args=backend_args)

    def transform(self, results: dict) -> Optional[dict]:
        """Load ``results['img_path']`` into ``img``: (H, W, 3), or (H, W) for ``color_type='grayscale'``; uint8,
        float32 with ``to_float32``."""
        filename = results['img_path']
        try:
            content = read_bytes(filename, 'image', self.backend_args, self.file_client_args)
            img = decode_image(content, filename, 'image', self.color_type, self.imdecode_backend)
        except (FileNotFoundError, DataError):
            if self.ignore_empty:
                return None
            raise
        height, width = results.get('height'), results.get('width')
        if height is not None and width is not None and tuple(img.shape[:2]) != (height, width):
            where = (f'the annotation file entry of image {results["img_id"]!r}'
                     if results.get('img_id') is not None else 'its data info')
            raise DataError(f'{filename}: image is {img.shape[1]}x{img.shape[0]} (WxH) but {where} says '
                            f'{width}x{height} (fix "height"/"width" there, or replace the image)')
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results


@TRANSFORMS.register_module()
class LoadPanopticGT(BaseTransform):
    """Load a panoptic ground-truth PNG and derive the semantic map and the thing instances.

    Two encodings, chosen by ``results['seg_map_encoding']`` (``'coco'`` when absent, so the data infos
    of mmdet's :class:`CocoPanopticDataset` work unchanged):

    * ``'coco'``: RGB PNG with ``id = R + 256 G + 256^2 B`` (0 = VOID) described by
      ``results['segments_info']`` (``{id, category, is_thing}``; crowd regions have ``is_thing=False``).
      The instance id of a thing is its segment id.
    * ``'step'``: KITTI-STEP RGB PNG with R = dataset category id (255 = VOID) and ``G * 256 + B`` =
      track id, mapped by ``results['category_ids']`` (category id of each contiguous label) and
      ``results['num_things']``. A thing pixel with track id 0 is crowd (no instance); a track id on a
      stuff class is an error. The instance id of a thing is ``category_id * 2^16 + track id``.

    Instance ids are unique within an image and, for video datasets, identical for the same object in
    every frame of a sequence.

    Added keys:

    - gt_seg_map (np.uint8, (H, W)): contiguous labels (things first, then stuff); crowd regions carry
      their class, VOID is ``255``.
    - gt_masks (BitmapMasks, (N, H, W)): the non-crowd thing segments.
    - gt_bboxes (HorizontalBoxes, (N, 4)): their tight boxes, x1y1x2y2.
    - gt_bboxes_labels (np.int64, (N,)), gt_instances_ids (np.int64, (N,)),
      gt_ignore_flags (bool, (N,), all False).

    Nothing is added when ``seg_map_path`` is None (inference without ground truth).

    Errors, naming the PNG: ``FileNotFoundError`` for a missing PNG; :class:`~mmpanoptic.errors.DataError` for
    an empty (0-byte) or corrupt PNG, a PNG whose size differs from the original image (``ori_shape``, else
    ``img``, else ``height``/``width``), a PNG id absent from ``segments_info``, an unknown STEP category, a
    STEP track id on a stuff class and an unknown ``seg_map_encoding``.

    Args:
        imdecode_backend (str): backend of :func:`mmcv.imfrombytes`. Defaults to 'cv2'.
        backend_args (dict, optional): file backend arguments. Defaults to None.
    """

    def __init__(self, imdecode_backend: str = 'cv2', backend_args: Optional[dict] = None) -> None:
        check_decode_backend(type(self).__name__, imdecode_backend)
        self.imdecode_backend = imdecode_backend
        self.backend_args = backend_args

    def _read_png(self, path: str) -> np.ndarray:
        """The PNG as (H, W, 3) int32 RGB."""
        content = read_bytes(path, 'panoptic PNG', self.backend_args)
        png = decode_image(content, path, 'panoptic PNG', 'color', self.imdecode_backend)
        return png[..., ::-1].astype(np.int32)

    @staticmethod
    def _expected_shape(results: dict) -> Optional[Tuple[int, int]]:
        # The original image size: test pipelines resize the image before loading the ground truth, which
        # the metrics read at the original size.
        if results.get('ori_shape') is not None:
            return tuple(results['ori_shape'][:2])
        if results.get('img') is not None:
            return tuple(results['img'].shape[:2])
        if results.get('height') is not None and results.get('width') is not None:
            return int(results['height']), int(results['width'])
        return None

    @staticmethod
    def _decode_coco(png: np.ndarray, results: dict, path: str) -> Tuple[np.ndarray, np.ndarray, list]:
        """Per-pixel labels and the thing segments of a COCO-panoptic PNG.

        Returns:
            tuple: ``seg`` (H, W) uint8 labels, ``index`` (H, W) int64 segment index per pixel (0 = VOID,
            ``i + 1`` = ``segments_info[i]``) and ``[(index, label, instance_id)]`` of the thing segments.
        """
        pan = coco_ids(png)
        segments = results.get('segments_info', [])
        seg_ids = np.array([0] + [s['id'] for s in segments], dtype=np.int64)
        labels = np.array([IGNORE_INDEX] + [s['category'] for s in segments], dtype=np.uint8)
        order = np.argsort(seg_ids)
        pos = np.searchsorted(seg_ids[order], pan).clip(max=len(seg_ids) - 1)
        index = order[pos]
        unknown = seg_ids[index] != pan
        if unknown.any():
            raise DataError(f'{path}: segment ids {np.unique(pan[unknown])[:10].tolist()} of the PNG are not in '
                            'the annotation\'s segments_info (re-create the PNG and its annotation together)')
        things = [(i + 1, s['category'], s['id']) for i, s in enumerate(segments) if s['is_thing']]
        return labels[index], index, things

    @staticmethod
    def _decode_step(png: np.ndarray, results: dict, path: str) -> Tuple[np.ndarray, np.ndarray, list]:
        """Per-pixel labels and the thing instances of a KITTI-STEP PNG (see class docstring).

        Returns:
            tuple: ``seg`` (H, W) uint8 labels, ``index`` (H, W) int64 index of the pixel's instance in the
            sorted instance keys and ``[(index, label, instance_id)]`` of the thing instances.
        """
        category_ids = results['category_ids']
        num_things = results['num_things']
        lut = np.full(256, -1, dtype=np.int64)
        lut[STEP_VOID] = IGNORE_INDEX
        for label, cat_id in enumerate(category_ids):
            lut[cat_id] = label
        semantic, track = step_fields(png)
        seg = lut[semantic]
        if (seg < 0).any():
            bad = np.unique(semantic[seg < 0]).tolist()
            raise DataError(f'{path}: unknown category ids {bad} in the R channel; known: '
                            f'{list(category_ids)} and {STEP_VOID} (void)')
        is_thing = seg < num_things
        if (track[~is_thing] > 0).any():
            bad = np.unique(semantic[~is_thing & (track > 0)]).tolist()
            raise DataError(f'{path}: instance ids on stuff or void category ids {bad}; KITTI-STEP only gives '
                            'track ids to thing classes')
        key = np.where(is_thing & (track > 0), semantic * STEP_ID_OFFSET + track, -1)
        uniques, inverse = np.unique(key, return_inverse=True)
        inverse = inverse.reshape(key.shape)
        things = [(i, int(lut[k // STEP_ID_OFFSET]), int(k)) for i, k in enumerate(uniques) if k >= 0]
        return seg.astype(np.uint8), inverse, things

    def transform(self, results: dict) -> dict:
        path = results.get('seg_map_path')
        if path is None:
            return results
        png = self._read_png(path)
        expected = self._expected_shape(results)
        if expected is not None and tuple(png.shape[:2]) != expected:
            raise DataError(f'{path}: panoptic PNG is {png.shape[1]}x{png.shape[0]} (WxH) but its image '
                            f'{results.get("img_path")} is {expected[1]}x{expected[0]} (the PNG belongs to '
                            'another image, or one of them was resized)')
        encoding = results.get('seg_map_encoding', 'coco')
        if encoding == 'coco':
            seg, index, things = self._decode_coco(png, results, path)
        elif encoding == 'step':
            seg, index, things = self._decode_step(png, results, path)
        else:
            raise DataError(f'{path}: unknown seg_map_encoding {encoding!r}; expected "coco" or "step"')
        height, width = seg.shape
        masks = np.stack([index == i for i, _, _ in things]).astype(np.uint8) if things else np.zeros(
            (0, height, width), dtype=np.uint8)
        gt_masks = BitmapMasks(masks, height, width)
        results['gt_seg_map'] = seg
        results['gt_masks'] = gt_masks
        results['gt_bboxes'] = gt_masks.get_bboxes(HorizontalBoxes)
        results['gt_bboxes_labels'] = np.array([label for _, label, _ in things], dtype=np.int64)
        results['gt_instances_ids'] = np.array([inst for _, _, inst in things], dtype=np.int64)
        results['gt_ignore_flags'] = np.zeros(len(things), dtype=bool)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(imdecode_backend={self.imdecode_backend!r}, backend_args={self.backend_args})'
