from .yoso_checkpoint import convert_official_yoso_state_dict, is_official_yoso_state_dict  # noqa: F401
from .kernel_gt import panoptic_gt_at, panoptic_segments  # noqa: F401
from .knet_checkpoint import (convert_knet, convert_official_checkpoint, convert_official_state_dict,  # noqa: F401
                              convert_rtknet, detect_family)
from .panoptic_merge import merge_panoptic_iterative, merge_panoptic_parallel  # noqa: F401
