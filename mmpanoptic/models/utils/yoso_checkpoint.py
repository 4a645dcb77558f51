"""Key mapping from the official YOSO (detectron2) checkpoints to mmpanoptic's :class:`YOSO`."""
import re
from collections import OrderedDict
from typing import Dict, Mapping

from torch import Tensor

# Buffers of the official model that have no counterpart (training-only or preprocessing constants).
OFFICIAL_DROPPED_KEYS = ('yoso_head.criterion.empty_weight', 'pixel_mean', 'pixel_std')

_RULES = (
    # detectron2 ResNet -> mmdet ResNet.
    (r'^backbone\.stem\.conv1\.norm\.', 'backbone.bn1.'),
    (r'^backbone\.stem\.conv1\.', 'backbone.conv1.'),
    (r'^backbone\.res(\d)\.(\d+)\.shortcut\.norm\.', lambda m: f'backbone.layer{int(m[1]) - 1}.{m[2]}.downsample.1.'),
    (r'^backbone\.res(\d)\.(\d+)\.shortcut\.', lambda m: f'backbone.layer{int(m[1]) - 1}.{m[2]}.downsample.0.'),
    (r'^backbone\.res(\d)\.(\d+)\.conv(\d)\.norm\.', lambda m: f'backbone.layer{int(m[1]) - 1}.{m[2]}.bn{m[3]}.'),
    (r'^backbone\.res(\d)\.(\d+)\.conv(\d)\.', lambda m: f'backbone.layer{int(m[1]) - 1}.{m[2]}.conv{m[3]}.'),
    # Neck: the official LiteDeformConv is flattened into YOSONeck; the DCN offset conv is mmcv's.
    (r'^yoso_neck\.deconv\.deform_conv(\d)\.dcn_offset\.', r'neck.deform_conv\1.dcn.conv_offset.'),
    (r'^yoso_neck\.deconv\.', 'neck.'),
    (r'^yoso_neck\.', 'neck.'),
    # Head: the self-attention is wrapped by mmcv's MultiheadAttention.
    (r'^yoso_head\.mask_heads\.(\d+)\.s_atten\.', r'panoptic_head.stages.\1.s_atten.attn.'),
    (r'^yoso_head\.mask_heads\.', 'panoptic_head.stages.'),
    (r'^yoso_head\.', 'panoptic_head.'),
)


def is_official_yoso_state_dict(state_dict: Mapping[str, Tensor]) -> bool:
    """Whether ``state_dict`` uses the official layout (``yoso_neck.*`` / ``yoso_head.*`` keys)."""
    return any(k.startswith(('yoso_neck.', 'yoso_head.')) for k in state_dict)


def convert_official_yoso_state_dict(state_dict: Mapping[str, Tensor]) -> Dict[str, Tensor]:
    """Map an official YOSO state dict (the ``model`` entry of the released ``.pth``) to mmpanoptic keys.

    Args:
        state_dict (Mapping[str, Tensor]): official keys (``backbone.res2.0.conv1.weight``,
            ``yoso_neck.deconv.conv_a5.weight``, ``yoso_head.mask_heads.0.f_atten.weight_linear.weight``...).

    Returns:
        dict[str, Tensor]: the same tensors under :class:`~mmpanoptic.models.segmentors.YOSO` keys, without
        :data:`OFFICIAL_DROPPED_KEYS`.

    Raises:
        ValueError: if the dict is not in the official YOSO layout, or a key matches no rule.
    """
    if not is_official_yoso_state_dict(state_dict):
        sample = ', '.join(list(state_dict)[:5])
        raise ValueError('Not an official YOSO checkpoint: no "yoso_neck.*" or "yoso_head.*" keys '
                         f'(first keys: {sample}).')
    converted = OrderedDict()
    unknown = []
    for key, value in state_dict.items():
        if key in OFFICIAL_DROPPED_KEYS:
            continue
        for pattern, repl in _RULES:
            new_key, count = re.subn(pattern, repl, key)
            if count:
                converted[new_key] = value
                break
        else:
            unknown.append(key)
    if unknown:
        raise ValueError(f'Official YOSO checkpoint has {len(unknown)} keys that no rule maps, e.g. {unknown[:5]}')
    return converted
