from .yoso_neck import YOSONeck, convert_ifa_to_cfa  # noqa: F401
from .semantic_fpn_pe import SemanticFPNWithPE  # noqa: F401
from .rtformer_feature_head import RTFormerFeatureHead  # noqa: F401
