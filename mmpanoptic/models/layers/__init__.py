from .dynamic_conv_attention import (DepthwiseDynamicConvAttention, DynamicConvAttention,  # noqa: F401
                                     MultiheadCrossAttention, PointwiseDynamicConvAttention,
                                     SeparableDynamicConvAttention)
from .yoso_decoder_layer import YOSODecoderLayer  # noqa: F401
from .group_features import assemble_group_features  # noqa: F401
from .kernel_update_head import KernelUpdateHead  # noqa: F401
from .kernel_updator import KernelUpdator  # noqa: F401
from .attention_mask_decoder import (AttentionLogitMask, AttentionMaskDecoder, AttentionMaskDecoderLayer,  # noqa: F401
                                     MaskCrossAttention)
