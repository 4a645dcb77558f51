"""COCO-panoptic dataset of the built-in synthetic shapes image data."""
from typing import Any

from mmpanoptic.errors import DataError
from mmpanoptic.registry import DATASETS
from .base_panoptic_dataset import BasePanopticDataset
from .synthetic_shapes_meta import METAINFO


@DATASETS.register_module()
class SyntheticShapesPanopticDataset(BasePanopticDataset):
    """The image dataset written by :func:`~mmpanoptic.datasets.synthetic_shapes.generate_image_dataset`.

    A regular mmpanoptic panoptic dataset (:class:`BasePanopticDataset`: explicit category ids, the file
    validated on load) with the synthetic shapes classes (4 things, then 3 stuff; category id = position
    + 1). The categories of ``ann_file`` are also checked against the dataset's class names (name, order and
    ``isthing``), so an annotation file of another dataset fails with a clear message.
    """

    METAINFO = dict(METAINFO, category_ids=tuple(range(1, len(METAINFO['classes']) + 1)))

    def check_file_categories(self, categories: Any) -> None:
        if not categories:
            raise DataError(f'{self.ann_file}: no "categories" list (re-generate the dataset)')
        super().check_file_categories(categories)
        found = [(c.get('name'), bool(c.get('isthing'))) for c in sorted(categories, key=lambda c: c['id'])]
        thing_classes = set(self.metainfo['thing_classes'])
        expected = [(name, name in thing_classes) for name in self.metainfo['classes']]
        if found != expected:
            raise DataError(f'{self.ann_file}: categories (name, isthing) sorted by id are {found}, '
                            f'but {type(self).__name__} expects {expected}')
