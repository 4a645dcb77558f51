from .panoptic_targets import panoptic_gt_at, panoptic_segments  # noqa: F401
