"""Conversion of official K-Net (mmdet 2.x) and RT-K-Net (detectron2) state dicts to mmpanoptic's layout.

K-Net keys keep their names below new parents (``rpn_head.`` -> ``panoptic_head.rpn_head.``,
``roi_head.mask_head.{s}.`` -> ``panoptic_head.iter_head.stages.{s}.``). RT-K-Net keys are renamed to the
shared K-Net stage names, mmseg's ``DAPPM`` and :class:`RTKNetHead`, and its stuff-first class rows
(classifier and auxiliary semantic head) are reordered to mmpanoptic's things-first order.
"""
import re
from typing import Dict, List, Optional, Tuple

import torch

FAMILIES = ('knet', 'rtknet')

_KNET_RULES: List[Tuple[str, str]] = [
    (r'^rpn_head\.', 'panoptic_head.rpn_head.'),
    (r'^roi_head\.mask_head\.(\d+)\.', r'panoptic_head.iter_head.stages.\1.'),
]

_STAGE = r'^sem_seg_head\.heads\.(\d+)\.'
_NEW_STAGE = r'panoptic_head.iter_head.stages.\1.'
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
    (r'^sem_seg_head\.feature_map_generator\.da_ppm\.scale0\.0\.', 'neck.dappm.scales.0.bn.'),
    (r'^sem_seg_head\.feature_map_generator\.da_ppm\.scale0\.2\.', 'neck.dappm.scales.0.conv.'),
    (r'^sem_seg_head\.feature_map_generator\.da_ppm\.scale(\d)\.1\.', r'neck.dappm.scales.\1.1.bn.'),
    (r'^sem_seg_head\.feature_map_generator\.da_ppm\.scale(\d)\.3\.', r'neck.dappm.scales.\1.1.conv.'),
    (r'^sem_seg_head\.feature_map_generator\.da_ppm\.process(\d)\.0\.', r'neck.dappm.processes.\1.bn.'),
    (r'^sem_seg_head\.feature_map_generator\.da_ppm\.process(\d)\.2\.', r'neck.dappm.processes.\1.conv.'),
    (r'^sem_seg_head\.feature_map_generator\.da_ppm\.(compression|shortcut)\.0\.', r'neck.dappm.\1.bn.'),
    (r'^sem_seg_head\.feature_map_generator\.da_ppm\.(compression|shortcut)\.2\.', r'neck.dappm.\1.conv.'),
    (r'^sem_seg_head\.feature_map_generator\.conv\.', 'neck.conv.'),
    (r'^sem_seg_head\.sem_seg_head\.', 'panoptic_head.aux_head.'),
    (r'^sem_seg_head\.', 'panoptic_head.'),
]


def detect_family(keys) -> Optional[str]:
    """``'knet'``/``'rtknet'`` for official or mmpanoptic layouts, None if the keys are of neither."""
    keys = list(keys)
    if any(k.startswith(('rpn_head.', 'roi_head.mask_head.', 'panoptic_head.rpn_head.')) for k in keys):
        return 'knet'
    if any(k.startswith(('sem_seg_head.', 'panoptic_head.init_kernels.')) for k in keys):
        return 'rtknet'
    return None


def _process_index(key: str) -> str:
    # DAPPM: official ``process{1-4}`` are mmseg's ``processes.{0-3}``.
    return re.sub(r'(neck\.dappm\.processes\.)(\d)', lambda m: m.group(1) + str(int(m.group(2)) - 1), key)


def convert_knet(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Rename an official K-Net panoptic state dict (mmdet 2.x) to :class:`KNet`'s layout."""
    out = {}
    for key, value in state_dict.items():
        for pattern, repl in _KNET_RULES:
            key = re.sub(pattern, repl, key)
        out[key] = value
    return out


def convert_rtknet(state_dict: Dict[str, torch.Tensor], num_stuff_classes: int) -> Dict[str, torch.Tensor]:
    """Rename an official RT-K-Net state dict (detectron2) to :class:`RTKNet`'s layout.

    Args:
        state_dict (dict): the official weights (the ``model`` entry of the checkpoint).
        num_stuff_classes (int): the official class order is stuff first; the rows of the classifiers and
            of the auxiliary semantic head are moved to things first.
    """
    out = {}
    for key, value in state_dict.items():
        for pattern, repl in _RTKNET_RULES:
            new = re.sub(pattern, repl, key)
            if new != key:
                key = _process_index(new)
                break
        if re.search(r'(fc_cls\.(weight|bias)|aux_head\.5\.weight)$', key):
            value = torch.cat([value[num_stuff_classes:], value[:num_stuff_classes]])
        out[key] = value
    return out


def convert_official_state_dict(state_dict: dict, prefix: str, family: str, num_stuff_classes: int) -> None:
    """Convert, in place, the entries of ``state_dict`` under ``prefix`` to mmpanoptic's layout.

    Official layouts of ``family`` are converted; mmpanoptic layouts are left alone; a layout of the other
    family raises ``ValueError``. A detectron2 checkpoint's ``model`` entry is unwrapped first.

    Args:
        state_dict (dict): the state dict being loaded.
        prefix (str): prefix of the model's keys.
        family (str): ``'knet'`` or ``'rtknet'``, the family of the model that loads.
        num_stuff_classes (int): number of stuff classes (for RT-K-Net's class reordering).
    """
    if family not in FAMILIES:
        raise ValueError(f'unknown model family {family!r}')
    if isinstance(state_dict.get(prefix + 'model'), dict):
        state_dict.update({prefix + k: v for k, v in state_dict.pop(prefix + 'model').items()})
    own = {k[len(prefix):]: k for k in state_dict if k.startswith(prefix)}
    found = detect_family(own)
    if found is None:
        return
    if found != family:
        raise ValueError(f'the checkpoint holds a {found} model ({"K-Net" if found == "knet" else "RT-K-Net"} '
                         f'keys), but the model is {family}; use a {family} config or checkpoint')
    if not any(k.startswith(('rpn_head.', 'roi_head.', 'sem_seg_head.')) for k in own):
        return
    local = {k: state_dict.pop(full) for k, full in own.items()}
    converted = convert_knet(local) if family == 'knet' else convert_rtknet(local, num_stuff_classes)
    state_dict.update({prefix + k: v for k, v in converted.items()})


def convert_official_checkpoint(checkpoint: dict, family: str, num_stuff_classes: int) -> Dict[str, torch.Tensor]:
    """Convert a loaded official checkpoint of ``family`` to a mmpanoptic state dict.

    Args:
        checkpoint (dict): the loaded file: mmdet 2.x (``state_dict`` entry), detectron2 (``model``
            entry) or a plain state dict.
        family (str): ``'knet'`` or ``'rtknet'``.
        num_stuff_classes (int): stuff classes (RT-K-Net class reordering).

    Returns:
        dict: the converted state dict.

    Raises:
        ValueError: if the checkpoint holds no K-Net/RT-K-Net weights or those of the other family.
    """
    state_dict = checkpoint.get('state_dict', checkpoint.get('model', checkpoint))
    found = detect_family(state_dict)
    if found is None:
        raise ValueError('the checkpoint holds neither K-Net nor RT-K-Net weights (no rpn_head./roi_head./'
                         'sem_seg_head. keys)')
    converted = dict(state_dict)
    convert_official_state_dict(converted, '', family, num_stuff_classes)
    return converted
