from .panoptic_merge import (MergeResult, merge_instances_and_semantics, merge_panoptic_iterative,  # noqa: F401
                             merge_panoptic_paint, merge_panoptic_parallel, passes_overlap)
from .dense_box_masks import (QueryBoxes, box_correlation, dense_box_map, query_boxes,  # noqa: F401
                              query_mask_scores, upsample_masks)
