from .panoptic_encoding import (IGNORE_INDEX, INSTANCE_OFFSET, STEP_SHIFT, STEP_VOID, coco_ids, coco_rgb,  # noqa: F401
                                decode_panoptic, encode_panoptic, step_fields, step_ids, step_rgb)
