"""Official RT-PanoNet layout (``TRI-ML/realtime_panoptic``: a plain state dict of ``RTPanoNet``).

torchvision's ResNet (``backbone.body.``) has mmdet's ResNet names; torchvision's FPN (``backbone.fpn.``)
becomes mmdet's ``FPN`` (``inner_blocks`` -> ``lateral_convs``, ``layer_blocks`` -> ``fpn_convs``, the
``LastLevelP6P7`` convs -> ``fpn_convs.3`` / ``.4``; torchvision >= 0.13's ``inner_blocks.{i}.0.`` names are
accepted too). The head's ``nn.Sequential`` towers (conv, GN, ReLU triplets) become :class:`RTPanoHead`'s
``ConvModule`` towers, its convs get descriptive names, the per-level ``Scale`` values lose their
one-element dimension (mmcv's ``Scale`` holds a 0-d parameter). The semantic classifier rows follow the
Cityscapes trainIds (stuff first) and are moved to mmpanoptic's things-first order.
"""
from .base import (ClassLayout, CheckpointAdapter, CheckpointFamilyError, StateDict, first_rule, permute_class_rows,
                   register_adapter, stuff_first_rows)


def _tower(name: str, new: str):
    """Rule of an official ``nn.Sequential`` tower: index 3k is the k-th conv, 3k + 1 its GroupNorm."""
    def repl(m):
        index = int(m[1])
        if index % 3 == 2:  # a ReLU: no parameters, so never in a state dict
            raise CheckpointFamilyError(f'{m[0]}: a parameter of a ReLU position in the official tower')
        return f'panoptic_head.{new}.{index // 3}.{"conv" if index % 3 == 0 else "gn"}.'
    return (rf'^panoptic_head\.{name}\.(\d+)\.', repl)


_RULES = (
    (r'^backbone\.body\.', 'backbone.'),
    (r'^backbone\.fpn\.inner_blocks\.(\d)\.(?:0\.)?', r'neck.lateral_convs.\1.conv.'),
    (r'^backbone\.fpn\.layer_blocks\.(\d)\.(?:0\.)?', r'neck.fpn_convs.\1.conv.'),
    (r'^backbone\.fpn\.extra_blocks\.p6\.', 'neck.fpn_convs.3.conv.'),
    (r'^backbone\.fpn\.extra_blocks\.p7\.', 'neck.fpn_convs.4.conv.'),
    _tower('cls_tower', 'sem_tower'),
    _tower('bbox_tower', 'loc_tower'),
    (r'^panoptic_head\.cls_logits\.', 'panoptic_head.semantic_conv.'),
    (r'^panoptic_head\.box_cls_logits\.', 'panoptic_head.box_cls_conv.'),
    (r'^panoptic_head\.bbox_pred\.', 'panoptic_head.box_reg_conv.'),
    (r'^panoptic_head\.centerness\.', 'panoptic_head.centerness_conv.'),
    (r'^panoptic_head\.levelness\.', 'panoptic_head.levelness_conv.'),
    (r'^panoptic_head\.scales\.(\d)\.scale$', r'panoptic_head.scales.\1.scale'),
)


def convert_rt_panoptic(state_dict: StateDict, classes: ClassLayout) -> StateDict:
    """An official RT-PanoNet state dict in :class:`RTPanoNet`'s layout.

    Raises:
        CheckpointFamilyError: if a key matches no rule, or the semantic rows do not fit ``classes``.
    """
    out, unknown = {}, []
    for key, value in state_dict.items():
        new = first_rule(key, _RULES)
        if new is None:
            unknown.append(key)
            continue
        if new.startswith('panoptic_head.semantic_conv.'):
            value = permute_class_rows(value, stuff_first_rows(classes))
        elif new.startswith('panoptic_head.scales.'):
            value = value.reshape(())
        out[new] = value
    if unknown:
        raise CheckpointFamilyError(f'the official RT-PanoNet checkpoint has {len(unknown)} keys that no rule '
                                    f'maps, e.g. {unknown[:5]}')
    return out


RT_PANOPTIC = register_adapter(
    CheckpointAdapter(
        family='rt_panoptic',
        title='RT-PanoNet',
        official_prefixes=('backbone.body.', 'backbone.fpn.', 'panoptic_head.cls_tower.', 'panoptic_head.bbox_tower.'),
        own_prefixes=('panoptic_head.loc_tower.', ),
        convert=convert_rt_panoptic))
