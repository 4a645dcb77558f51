from .yoso_head import YOSOHead  # noqa: F401
from .kernel_iter_head import KernelIterHead  # noqa: F401
from .mask_classification_fusion_head import MaskClassificationFusionHead  # noqa: F401
from .kernel_proposal_head import KernelProposalHead  # noqa: F401
from .knet_head import KNetHead  # noqa: F401
from .rtknet_head import RTKNetHead  # noqa: F401
