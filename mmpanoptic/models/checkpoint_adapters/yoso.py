"""Official YOSO layout (detectron2, ``hujiecpp/YOSO``).

detectron2's ResNet becomes mmdet's, the official ``LiteDeformConv`` neck is flattened into
:class:`YOSONeck` (its DCN offset conv is mmcv's ``conv_offset``), the self-attention gets mmcv's
``.attn.`` level. The classifier rows (``fc_cls``) follow detectron2's contiguous ids, i.e. ascending
dataset category ids (COCO: things first, as ours; Cityscapes: trainId order, stuff first; ADE20K and
Mapillary Vistas: interleaved): they are permuted to mmpanoptic's things-first order, the no-object row
staying last.
"""
import re

from .base import (ClassLayout, CheckpointAdapter, CheckpointFamilyError, StateDict, category_id_rows,
                   first_rule, permute_class_rows, register_adapter)

# Buffers of the official model without a counterpart: the loss's class weights and preprocessing constants.
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
_CLASS_ROWS = re.compile(r'^panoptic_head\.stages\.\d+\.fc_cls\.(weight|bias)$')


def convert_yoso(state_dict: StateDict, classes: ClassLayout) -> StateDict:
    """An official YOSO state dict in :class:`YOSO`'s layout, without :data:`OFFICIAL_DROPPED_KEYS`.

    Raises:
        CheckpointFamilyError: if a key matches no rule, or the class rows do not fit ``classes``.
    """
    rows = None
    out, unknown = {}, []
    for key, value in state_dict.items():
        if key in OFFICIAL_DROPPED_KEYS:
            continue
        new = first_rule(key, _RULES)
        if new is None:
            unknown.append(key)
            continue
        key = new
        if _CLASS_ROWS.match(key):
            rows = rows or category_id_rows(classes, 'official YOSO checkpoint')
            value = permute_class_rows(value, rows, extra_rows=1)
        out[key] = value
    if unknown:
        raise CheckpointFamilyError(f'the official YOSO checkpoint has {len(unknown)} keys that no rule maps, '
                                    f'e.g. {unknown[:5]}')
    return out


YOSO = register_adapter(
    CheckpointAdapter(
        family='yoso',
        title='YOSO',
        official_prefixes=('yoso_neck.', 'yoso_head.'),
        own_prefixes=('panoptic_head.kernels.', 'neck.loc_conv.'),
        convert=convert_yoso))
