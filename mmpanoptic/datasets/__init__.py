from .transforms import *  # noqa: F401,F403
from .synthetic_shapes import generate_image_dataset, generate_video_dataset  # noqa: F401
from .synthetic_shapes_panoptic import SyntheticShapesPanopticDataset  # noqa: F401
from .ade20k_panoptic import ADE20KPanopticDataset  # noqa: F401
from .base_panoptic_dataset import BasePanopticDataset  # noqa: F401
from .base_video_panoptic_dataset import BaseVideoPanopticDataset  # noqa: F401
from .cityscapes_panoptic import CityscapesPanopticDataset  # noqa: F401
from .cityscapes_vps import CityscapesVPSDataset  # noqa: F401
from .coco_panoptic import CocoPanopticDataset  # noqa: F401
from .kitti_step import KITTISTEPDataset  # noqa: F401
from .mapillary_vistas_panoptic import MapillaryVistasPanopticDataset  # noqa: F401
from .synthetic_shapes_video import SyntheticShapesVideoDataset  # noqa: F401
from .vipseg import VIPSegDataset  # noqa: F401
