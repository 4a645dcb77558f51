"""The built-in synthetic shapes video panoptic dataset (KITTI-STEP layout)."""
from mmpanoptic.registry import DATASETS
from .kitti_step import KITTISTEPDataset
from .synthetic_shapes_meta import METAINFO


@DATASETS.register_module()
class SyntheticShapesVideoDataset(KITTISTEPDataset):
    """The video dataset written by :func:`~mmpanoptic.datasets.synthetic_shapes.generate_video_dataset`.

    KITTI-STEP layout and encoding (R = class index of
    :data:`~mmpanoptic.datasets.synthetic_shapes_meta.CLASSES`, 255 = void; ``G * 256 + B`` = track id)
    with 4 thing classes followed by 3 stuff classes.
    """

    METAINFO = dict(METAINFO, category_ids=tuple(range(len(METAINFO['classes']))))
