"""Validation of a prepared image panoptic dataset against the files on disk."""
from typing import Dict

from ..base_panoptic_dataset import BasePanopticDataset
from ..transforms.loading import LoadPanopticGT
from .panoptic_files import check_size, image_size


def check_panoptic_files(dataset: BasePanopticDataset, decode: bool = False) -> Dict[str, int]:
    """Check that every image and panoptic PNG of ``dataset`` exists and has the size of its entry.

    The annotation file itself is validated when the dataset loads it (unknown category ids, duplicate
    segment ids, images without annotation, ...). Only the file headers are read, unless ``decode``.

    Args:
        dataset (BasePanopticDataset): the dataset, built with ``test_mode=True`` so that nothing is
            filtered.
        decode (bool): also decode every PNG with :class:`LoadPanopticGT`, which checks that each of
            its segment ids is listed in ``segments_info``. Defaults to False.

    Returns:
        dict: ``images``, ``annotations`` (number checked) and ``segments`` (number listed).
    """
    loader = LoadPanopticGT()
    counts = dict(images=0, annotations=0, segments=0)
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        expected = (info['height'], info['width'])
        entry = f'the annotation file entry of image {info["img_id"]!r} ({dataset.ann_file})'
        check_size(info['img_path'], image_size(info['img_path']), entry, expected)
        counts['images'] += 1
        if info['seg_map_path'] is None:
            continue
        check_size(info['seg_map_path'], image_size(info['seg_map_path']), entry, expected)
        if decode:
            loader(dict(info))
        counts['annotations'] += 1
        counts['segments'] += len(info['segments_info'])
    return counts
