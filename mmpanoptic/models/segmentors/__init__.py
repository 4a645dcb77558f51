from .mask_classification_segmentor import MaskClassificationSegmentor  # noqa: F401
from .yoso import YOSO  # noqa: F401
from .knet import KNet, RTKNet  # noqa: F401
from .panoptic_segformer import PanopticSegFormer  # noqa: F401
from .rt_panonet import RTPanoNet  # noqa: F401
