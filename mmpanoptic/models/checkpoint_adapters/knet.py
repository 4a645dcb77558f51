"""Official K-Net (mmdet 2.x, ``ZwwWayne/K-Net``) and RT-K-Net (detectron2, ``markusschoen/RT-K-Net``) layouts.

K-Net keys keep their names below new parents (``rpn_head.`` -> ``panoptic_head.proposal_head.``,
``roi_head.mask_head.{s}.`` -> ``panoptic_head.iter_head.stages.{s}.``); its COCO class order (things, then
stuff, each by ascending category id) is mmpanoptic's. RT-K-Net keys are renamed to the shared K-Net stage
names, mmseg's ``DAPPM`` and :class:`KernelPanopticHead`'s parts (``proposal_head``, ``aux_heads.semantic``);
its stuff-first class rows (classifiers and auxiliary
semantic head) are moved to mmpanoptic's things-first order. RT-K-Net's backbone keys are unchanged.
"""
import re
from typing import List, Tuple

from .base import (ClassLayout, CheckpointAdapter, StateDict, first_rule, permute_class_rows, register_adapter,
                   stuff_first_rows)

_KNET_RULES: List[Tuple[str, str]] = [
    (r'^rpn_head\.', 'panoptic_head.proposal_head.'),
    (r'^roi_head\.mask_head\.(\d+)\.', r'panoptic_head.iter_head.stages.\1.'),
]

_STAGE = r'^sem_seg_head\.heads\.(\d+)\.'
_NEW_STAGE = r'panoptic_head.iter_head.stages.\1.'
_DAPPM = r'^sem_seg_head\.feature_map_generator\.da_ppm\.'
_RTKNET_RULES: List[Tuple[str, str]] = [
    (_STAGE + r'adaptive_kernel_update\.', _NEW_STAGE + 'kernel_update_conv.'),
    (_STAGE + r'kernel_interaction\.attention\.', _NEW_STAGE + 'attention.attn.'),
    (_STAGE + r'kernel_interaction\.attention_norm\.', _NEW_STAGE + 'attention_norm.'),
    (_STAGE + r'kernel_interaction\.ffn\.linear1\.', _NEW_STAGE + 'ffn.layers.0.0.'),
    (_STAGE + r'kernel_interaction\.ffn\.linear2\.', _NEW_STAGE + 'ffn.layers.1.'),
    (_STAGE + r'kernel_interaction\.ffn\.norm\.', _NEW_STAGE + 'ffn_norm.'),
    (_STAGE + r'fc_cls\.3\.', _NEW_STAGE + 'fc_cls.'),
    (_STAGE + r'fc_cls\.([01])\.', _NEW_STAGE + r'cls_fcs.\2.'),
    (_STAGE + r'fc_mask\.3\.', _NEW_STAGE + 'fc_mask.'),
    (_STAGE + r'fc_mask\.([01])\.', _NEW_STAGE + r'mask_fcs.\2.'),
    (_DAPPM + r'scale0\.0\.', 'neck.dappm.scales.0.bn.'),
    (_DAPPM + r'scale0\.2\.', 'neck.dappm.scales.0.conv.'),
    (_DAPPM + r'scale(\d)\.1\.', r'neck.dappm.scales.\1.1.bn.'),
    (_DAPPM + r'scale(\d)\.3\.', r'neck.dappm.scales.\1.1.conv.'),
    # DAPPM: official ``process{1-4}`` are mmseg's ``processes.{0-3}``.
    (_DAPPM + r'process(\d)\.0\.', lambda m: f'neck.dappm.processes.{int(m[1]) - 1}.bn.'),
    (_DAPPM + r'process(\d)\.2\.', lambda m: f'neck.dappm.processes.{int(m[1]) - 1}.conv.'),
    (_DAPPM + r'(compression|shortcut)\.0\.', r'neck.dappm.\1.bn.'),
    (_DAPPM + r'(compression|shortcut)\.2\.', r'neck.dappm.\1.conv.'),
    (r'^sem_seg_head\.feature_map_generator\.conv\.', 'neck.conv.'),
    (r'^sem_seg_head\.sem_seg_head\.', 'panoptic_head.aux_heads.semantic.layers.'),
    (r'^sem_seg_head\.(feat_transform|init_kernels)\.', r'panoptic_head.proposal_head.\1.'),
    (r'^sem_seg_head\.', 'panoptic_head.'),
]
# Tensors whose rows are classes: the stage classifiers and the auxiliary semantic head's last conv.
_RTKNET_CLASS_ROWS = re.compile(r'(\.fc_cls\.(weight|bias)|^panoptic_head\.aux_heads\.semantic\.layers\.5\.(weight|bias))$')


def convert_knet(state_dict: StateDict, classes: ClassLayout) -> StateDict:
    """An official K-Net panoptic state dict (mmdet 2.x) in :class:`KNet`'s layout."""
    out = {}
    for key, value in state_dict.items():
        for pattern, repl in _KNET_RULES:
            key = re.sub(pattern, repl, key)
        out[key] = value
    return out


def convert_rtknet(state_dict: StateDict, classes: ClassLayout) -> StateDict:
    """An official RT-K-Net state dict (detectron2) in :class:`RTKNet`'s layout, class rows things first."""
    rows = stuff_first_rows(classes)
    out = {}
    for key, value in state_dict.items():
        key = first_rule(key, _RTKNET_RULES) or key
        if _RTKNET_CLASS_ROWS.search(key):
            value = permute_class_rows(value, rows)
        out[key] = value
    return out


KNET = register_adapter(
    CheckpointAdapter(
        family='knet',
        title='K-Net',
        official_prefixes=('rpn_head.', 'roi_head.mask_head.'),
        own_prefixes=('panoptic_head.proposal_head.localization_fpn.', ),
        convert=convert_knet))
RTKNET = register_adapter(
    CheckpointAdapter(
        family='rtknet',
        title='RT-K-Net',
        official_prefixes=('sem_seg_head.', ),
        own_prefixes=('panoptic_head.proposal_head.feat_transform.', 'neck.dappm.'),
        convert=convert_rtknet))
