from .panoptic_targets import panoptic_gt_at, panoptic_segments  # noqa: F401
from .dense_targets import image_gt, location_targets  # noqa: F401
