from .dynamic_conv_attention import (DepthwiseDynamicConvAttention, DynamicConvAttention,  # noqa: F401
                                     MultiheadCrossAttention, PointwiseDynamicConvAttention,
                                     SeparableDynamicConvAttention)
from .yoso_decoder_layer import YOSODecoderLayer  # noqa: F401
