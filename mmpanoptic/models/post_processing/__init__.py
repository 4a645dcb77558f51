from .panoptic_merge import (MergeResult, merge_panoptic_iterative, merge_panoptic_paint,  # noqa: F401
                             merge_panoptic_parallel, passes_overlap)
