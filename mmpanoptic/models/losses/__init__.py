from .instance_discrimination_loss import InstanceDiscriminationLoss  # noqa: F401
from .mask_rank_loss import MaskRankLoss  # noqa: F401
from .topk_pixel_ce_loss import TopKPixelCrossEntropyLoss  # noqa: F401
from .explicit_mask_loss import ExplicitMaskLoss  # noqa: F401
