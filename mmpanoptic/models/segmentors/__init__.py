from .yoso import YOSO  # noqa: F401
from .knet import KNet, RTKNet  # noqa: F401
