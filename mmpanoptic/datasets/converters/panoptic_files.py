"""Reading raw annotation files and writing COCO-panoptic files, shared by the dataset converters.

The converters in ``tools/dataset_converters/`` are thin command lines over these helpers; every helper
raises an error naming the file for bad input: ``FileNotFoundError`` for a missing file,
:class:`~mmpanoptic.errors.DataError` for a corrupt file, a size mismatch or an unexpected layout.
"""
import json
import os
import os.path as osp
import shutil
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
from mmengine.utils import track_parallel_progress, track_progress
from PIL import Image
from scipy import ndimage

from mmpanoptic.errors import DataError
from mmpanoptic.fileio import load_json
from mmpanoptic.structures.panoptic_encoding import coco_rgb


def read_png(path: str, channels: Optional[int] = None) -> np.ndarray:
    """Read an annotation PNG without any conversion.

    Args:
        path (str): the file.
        channels (int, optional): required number of channels (1 for a single-channel map of any bit
            depth, 3 for RGB; an alpha channel is dropped). None accepts both.

    Returns:
        np.ndarray: (H, W) integer map or (H, W, 3) uint8 RGB.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: missing')
    try:
        with Image.open(path) as png:
            array = np.array(png)
    except (OSError, SyntaxError, ValueError) as error:
        raise DataError(f'{path}: cannot decode the PNG (corrupt or not an image): {error}') from error
    if array.ndim == 3:
        array = array[..., :3]
    found = 1 if array.ndim == 2 else array.shape[2]
    if channels is not None and found != channels:
        raise DataError(f'{path}: expected a {channels}-channel PNG, found {found} channel(s) '
                        f'(shape {array.shape})')
    return array


def image_size(path: str) -> Tuple[int, int]:
    """``(height, width)`` of an image, read from its header only."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: missing')
    try:
        with Image.open(path) as image:
            width, height = image.size
    except (OSError, SyntaxError) as error:
        raise DataError(f'{path}: cannot read the image header (corrupt or not an image): {error}') from error
    return height, width


def check_size(path: str, shape: Sequence[int], reference: str, expected: Sequence[int]) -> None:
    """Raise ``DataError`` when the (H, W) ``shape`` of ``path`` differs from ``expected`` of ``reference``."""
    if tuple(shape[:2]) != tuple(expected[:2]):
        raise DataError(f'{path}: size {shape[1]}x{shape[0]} (WxH) differs from {expected[1]}x{expected[0]} '
                        f'of {reference}')


def segments_info(id_map: np.ndarray, categories: Mapping[int, int],
                  crowd: Sequence[int] = ()) -> List[dict]:
    """COCO-panoptic ``segments_info`` of a segment-id map.

    Args:
        id_map (np.ndarray): (H, W) segment ids, 0 = VOID.
        categories (Mapping[int, int]): segment id -> category id, for every non-zero id of the map.
        crowd (Sequence[int]): ids of crowd segments.

    Returns:
        list[dict]: ``{id, category_id, iscrowd, area, bbox (x, y, w, h)}`` per segment, by increasing id.
    """
    ids, inverse = np.unique(id_map, return_inverse=True)
    inverse = inverse.reshape(id_map.shape)
    areas = np.bincount(inverse.ravel(), minlength=len(ids))
    boxes = ndimage.find_objects(inverse + 1)
    segments = []
    for index, segment_id in enumerate(ids.tolist()):
        if segment_id == 0:
            continue
        rows, cols = boxes[index]
        segments.append(
            dict(id=int(segment_id), category_id=int(categories[segment_id]), iscrowd=int(segment_id in crowd),
                 area=int(areas[index]),
                 bbox=[cols.start, rows.start, cols.stop - cols.start, rows.stop - rows.start]))
    return segments


def write_panoptic_png(path: str, id_map: np.ndarray) -> None:
    """Write an (H, W) segment-id map as an RGB PNG with ``id = R + 256 G + 256^2 B``."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(coco_rgb(id_map)).save(path)


def coco_categories(metainfo: dict) -> List[dict]:
    """The ``categories`` list of a dataset's ``METAINFO`` (``{id, name, isthing, color}``, by id)."""
    num_things = len(metainfo['thing_classes'])
    categories = [dict(id=int(cat_id), name=name, isthing=int(label < num_things), color=list(colour))
                  for label, (cat_id, name, colour) in enumerate(
                      zip(metainfo['category_ids'], metainfo['classes'], metainfo['palette']))]
    return sorted(categories, key=lambda c: c['id'])


def write_json(path: str, content: dict) -> None:
    """Write ``content`` as JSON, creating the folder."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(content, f)


def read_json(path: str, required: Sequence[str] = ()) -> dict:
    """Read a JSON object file and check that it has the ``required`` top-level keys.

    This is :func:`mmpanoptic.fileio.load_json`: a missing file raises ``FileNotFoundError``; a file that
    is not ``.json``, invalid JSON (reported with line and column) and a missing key raise a ``DataError``
    naming the file.
    """
    return load_json(path, required=required)


def place_file(src: str, dst: str, copy: bool = False) -> None:
    """Make ``dst`` a symbolic link to ``src`` (or a copy), replacing an existing ``dst``."""
    if not osp.isfile(src):
        raise FileNotFoundError(f'{src}: missing')
    os.makedirs(osp.dirname(dst), exist_ok=True)
    if osp.lexists(dst):
        os.remove(dst)
    if copy:
        shutil.copyfile(src, dst)
    else:
        os.symlink(osp.abspath(src), dst)


def index_by_stem(folder: str, key_fields: Optional[int] = None) -> Dict[str, str]:
    """Map key -> file name of the files of ``folder``.

    The key is the file stem, or its first ``key_fields`` ``_``-separated fields. Two files with one
    key raise a ``DataError`` naming both.
    """
    if not osp.isdir(folder):
        raise FileNotFoundError(f'{folder}: missing folder')
    files = {}
    for name in sorted(os.listdir(folder)):
        stem = osp.splitext(name)[0]
        key = stem if key_fields is None else '_'.join(stem.split('_')[:key_fields])
        if key in files:
            raise DataError(f'{folder}: two files for {key!r}: {files[key]} and {name}')
        files[key] = name
    return files


def run_tasks(func: Callable, tasks: Sequence, nproc: int = 1) -> list:
    """``[func(task) for task in tasks]`` with a progress bar, in ``nproc`` processes when ``nproc > 1``."""
    if nproc > 1:
        return track_parallel_progress(func, list(tasks), nproc)
    return track_progress(func, list(tasks))
