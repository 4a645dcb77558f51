from .kernel_hungarian_assigner import KernelHungarianAssigner  # noqa: F401
from .kernel_match_costs import KernelDiceCost, KernelMaskCost  # noqa: F401
from .mask_set_criterion import MaskSetCriterion  # noqa: F401
from .query_filter_assigner import QueryFilterAssigner, SquaredDiceCost  # noqa: F401
