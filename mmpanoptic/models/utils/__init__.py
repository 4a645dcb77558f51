from .kernel_gt import panoptic_gt_at, panoptic_segments  # noqa: F401
from .panoptic_merge import merge_panoptic_iterative, merge_panoptic_parallel  # noqa: F401
