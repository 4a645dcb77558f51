"""Checkpoint adapters: official layouts of each model family to mmpanoptic's (see :mod:`.base`)."""
from .base import (CheckpointAdapter, CheckpointFamilyError, ClassLayout, adapt_state_dict,  # noqa: F401
                   category_id_rows, detect_layout, get_adapter, permute_class_rows, register_adapter,
                   stuff_first_rows)
from .knet import KNET, RTKNET, convert_knet, convert_rtknet  # noqa: F401
from .yoso import OFFICIAL_DROPPED_KEYS, YOSO, convert_yoso  # noqa: F401
from .panoptic_segformer import PANOPTIC_SEGFORMER, convert_panoptic_segformer  # noqa: F401
from .rt_panoptic import RT_PANOPTIC, convert_rt_panoptic  # noqa: F401
