from .transforms import *  # noqa: F401,F403
from .synthetic_shapes import generate_image_dataset, generate_video_dataset  # noqa: F401
from .synthetic_shapes_panoptic import SyntheticShapesPanopticDataset  # noqa: F401
