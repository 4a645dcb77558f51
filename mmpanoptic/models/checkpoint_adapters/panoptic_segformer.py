"""Official Panoptic SegFormer layout (mmdet 2.12, ``zhiqi-li/Panoptic-SegFormer``).

Three steps, in this order:

1. a PVTv2 or Swin backbone in the layout of the official backbone files (``easymd/models/backbones/pvt_v2.py``:
   ``patch_embed1``, ``block1.0.attn.q``/``kv``, ``norm1``; ``swin.py``: ``patch_embed.proj``,
   ``layers.0.blocks.0.attn.qkv``, ``layers.0.downsample``, output norms ``norm1``-``norm3``) goes through mmdet's
   own converters, :func:`~mmdet.models.backbones.pvt.pvt_convert` and
   :func:`~mmdet.models.backbones.swin.swin_converter`, into the names of mmdet's ``PyramidVisionTransformerV2``
   and ``SwinTransformer``. The official files keep the names of whai362/PVT's ``pvt_v2.py`` and Microsoft's
   Swin-for-detection ``swin.py``, which those converters were written for: they give exactly mmdet's key set and
   shapes (the output norms ``norm{i}`` are named alike in both Swins), so no rule of our own is added. A ResNet
   backbone already has mmdet's names and is kept;
2. the legacy names of the released ``.pth`` files, which the official loader itself renames
   (``.mask_head.`` -> ``.things_mask_head.``, ``.mask_head2.`` -> ``.stuff_mask_head.``,
   ``.cls_branches2.`` -> ``.cls_thing_branches.``);
3. mmdet 2.x's transformer names to mmdet 3.x's Deformable DETR (``bbox_head.transformer.*`` and
   ``bbox_head.query_embedding`` move to the detector; ``attentions.0/1`` and ``ffns.0`` become
   ``self_attn``/``cross_attn``/``ffn``) and the official mask heads to :class:`AttentionMaskDecoder`.

``query_embedding`` keeps its ``[pos | content]`` columns and ``stuff_query`` its ``[content | pos]`` columns:
both models split them the same way. The mask decoders' box and class branches (``reg_branches2``,
``cls_thing_branches``) have zero loss weight in the official training and are dropped. COCO's class rows
are things first in category-id order in both layouts.
"""
import re

from mmdet.models.backbones.pvt import pvt_convert
from mmdet.models.backbones.swin import swin_converter

from .base import ClassLayout, CheckpointAdapter, CheckpointFamilyError, StateDict, first_rule, register_adapter

LEGACY_RENAMES = (('.mask_head.', '.things_mask_head.'), ('.mask_head2.', '.stuff_mask_head.'),
                  ('.cls_branches2.', '.cls_thing_branches.'))
# Zero-weighted during the official training: no counterpart.
DROPPED_PREFIXES = ('bbox_head.reg_branches2.', 'bbox_head.cls_thing_branches.')

# Marks of the official backbone files' layouts (mmdet's PVT has ``layers.N.0/1/2``, its Swin ``stages``).
OFFICIAL_PVT_V2 = re.compile(r'^backbone\.(patch_embed|block)\d')
OFFICIAL_SWIN = re.compile(r'^backbone\.(patch_embed\.proj\.|layers\.\d+\.(blocks|downsample)\.)')

_MASK_HEAD = r'^bbox_head\.(things|stuff)_mask_head\.'
_RULES = (
    (r'^backbone\.', 'backbone.'),
    (r'^neck\.', 'neck.'),
    (r'^bbox_head\.transformer\.level_embeds$', 'level_embed'),
    (r'^bbox_head\.transformer\.reference_points\.', 'reference_points_fc.'),
    (r'^bbox_head\.query_embedding\.', 'query_embedding.'),
    (r'^bbox_head\.transformer\.encoder\.layers\.(\d+)\.attentions\.0\.', r'encoder.layers.\1.self_attn.'),
    (r'^bbox_head\.transformer\.encoder\.layers\.(\d+)\.ffns\.0\.', r'encoder.layers.\1.ffn.'),
    (r'^bbox_head\.transformer\.encoder\.layers\.(\d+)\.norms\.', r'encoder.layers.\1.norms.'),
    (r'^bbox_head\.transformer\.decoder\.layers\.(\d+)\.attentions\.0\.', r'decoder.layers.\1.self_attn.'),
    (r'^bbox_head\.transformer\.decoder\.layers\.(\d+)\.attentions\.1\.', r'decoder.layers.\1.cross_attn.'),
    (r'^bbox_head\.transformer\.decoder\.layers\.(\d+)\.ffns\.0\.', r'decoder.layers.\1.ffn.'),
    (r'^bbox_head\.transformer\.decoder\.layers\.(\d+)\.norms\.', r'decoder.layers.\1.norms.'),
    (r'^bbox_head\.(cls_branches|reg_branches|cls_stuff_branches)\.', r'bbox_head.\1.'),
    (r'^bbox_head\.stuff_query\.', 'bbox_head.stuff_query.'),
    # Mask heads: Block -> AttentionMaskDecoderLayer, AttentionTail -> tail.
    (_MASK_HEAD + r'blocks\.(\d+)\.attn\.linear_l(\d)\.0\.',
     lambda m: f'bbox_head.{m[1]}_mask_decoder.layers.{m[2]}.cross_attn.mask.level_fcs.{int(m[3]) - 1}.0.'),
    (_MASK_HEAD + r'blocks\.(\d+)\.attn\.linear\.0\.',
     r'bbox_head.\1_mask_decoder.layers.\2.cross_attn.mask.fuse_fc.0.'),
    (_MASK_HEAD + r'blocks\.(\d+)\.attn\.(q|k|v|proj)\.', r'bbox_head.\1_mask_decoder.layers.\2.cross_attn.\3.'),
    (_MASK_HEAD + r'blocks\.(\d+)\.head_norm1\.', r'bbox_head.\1_mask_decoder.layers.\2.cross_attn_norm.'),
    (_MASK_HEAD + r'blocks\.(\d+)\.head_norm2\.', r'bbox_head.\1_mask_decoder.layers.\2.ffn_norm.'),
    (_MASK_HEAD + r'blocks\.(\d+)\.mlp\.fc1\.', r'bbox_head.\1_mask_decoder.layers.\2.ffn.0.'),
    (_MASK_HEAD + r'blocks\.(\d+)\.mlp\.fc2\.', r'bbox_head.\1_mask_decoder.layers.\2.ffn.2.'),
    (_MASK_HEAD + r'blocks\.(\d+)\.self_attention\.qkv\.(weight|bias)$',
     r'bbox_head.\1_mask_decoder.layers.\2.self_attn.in_proj_\3'),
    (_MASK_HEAD + r'blocks\.(\d+)\.self_attention\.proj\.', r'bbox_head.\1_mask_decoder.layers.\2.self_attn.out_proj.'),
    (_MASK_HEAD + r'blocks\.(\d+)\.norm3\.', r'bbox_head.\1_mask_decoder.layers.\2.self_attn_norm.'),
    (_MASK_HEAD + r'attnen\.linear_l(\d)\.0\.',
     lambda m: f'bbox_head.{m[1]}_mask_decoder.tail.mask.level_fcs.{int(m[2]) - 1}.0.'),
    (_MASK_HEAD + r'attnen\.linear\.0\.', r'bbox_head.\1_mask_decoder.tail.mask.fuse_fc.0.'),
    (_MASK_HEAD + r'attnen\.(q|k)\.', r'bbox_head.\1_mask_decoder.tail.\2.'),
)


def legacy_renamed(key: str) -> str:
    """A key of a released file under the names of the official code (the official loader's renames)."""
    for old, new in LEGACY_RENAMES:
        key = key.replace(old, new)
    return key


def official_backbone_converted(state_dict: StateDict) -> StateDict:
    """The state dict with an official PVTv2 or Swin backbone (:data:`OFFICIAL_PVT_V2`, :data:`OFFICIAL_SWIN`) in
    mmdet's names, through mmdet's ``pvt_convert`` / ``swin_converter``; itself for any other backbone."""
    keys = [k for k in state_dict if k.startswith('backbone.')]
    if any(OFFICIAL_PVT_V2.match(k) for k in keys):
        backbone = pvt_convert({k[len('backbone.'):]: state_dict[k] for k in keys})
        backbone = {'backbone.' + k: v for k, v in backbone.items()}
    elif any(OFFICIAL_SWIN.match(k) for k in keys):
        backbone = swin_converter({k[len('backbone.'):]: state_dict[k] for k in keys})  # adds 'backbone.'
    else:
        return state_dict
    return {**backbone, **{k: v for k, v in state_dict.items() if not k.startswith('backbone.')}}


def convert_panoptic_segformer(state_dict: StateDict, classes: ClassLayout) -> StateDict:
    """An official Panoptic SegFormer state dict (released or current names; R-50/R-101, PVTv2 or Swin backbone)
    in :class:`PanopticSegFormer`'s layout, without :data:`DROPPED_PREFIXES`.

    Raises:
        CheckpointFamilyError: if a key matches no rule, or the class / stuff-query rows do not fit ``classes``.
    """
    out, unknown = {}, []
    for key, value in official_backbone_converted(state_dict).items():
        key = legacy_renamed(key)
        if key.startswith(DROPPED_PREFIXES):
            continue
        new = first_rule(key, _RULES)
        if new is None:
            unknown.append(key)
            continue
        out[new] = value
    if unknown:
        raise CheckpointFamilyError(f'the official Panoptic SegFormer checkpoint has {len(unknown)} keys that no '
                                    f'rule maps, e.g. {unknown[:5]}')
    for key, rows, what in (('bbox_head.cls_branches.0.weight', classes.num_things_classes, 'thing classes'),
                            ('bbox_head.stuff_query.weight', classes.num_stuff_classes, 'stuff classes')):
        if key in out and out[key].shape[0] != rows:
            raise CheckpointFamilyError(f'the checkpoint has {out[key].shape[0]} {what} ({key}), the model '
                                        f'{rows}; is the checkpoint of another dataset?')
    return out


PANOPTIC_SEGFORMER = register_adapter(
    CheckpointAdapter(
        family='panoptic_segformer',
        title='Panoptic SegFormer',
        official_prefixes=('bbox_head.transformer.', 'bbox_head.things_mask_head.', 'bbox_head.mask_head.',
                           'bbox_head.mask_head2.'),
        own_prefixes=('bbox_head.things_mask_decoder.', 'bbox_head.stuff_mask_decoder.'),
        convert=convert_panoptic_segformer))
