"""Library code of the dataset converters in ``tools/dataset_converters/``."""
from .check_files import check_panoptic_files
from .panoptic_files import (check_size, coco_categories, image_size, index_by_stem, place_file, read_json,
                             read_png, run_tasks, segments_info, write_json, write_panoptic_png)

__all__ = [
    'check_panoptic_files', 'check_size', 'coco_categories', 'image_size', 'index_by_stem', 'place_file',
    'read_json', 'read_png', 'run_tasks', 'segments_info', 'write_json', 'write_panoptic_png'
]
