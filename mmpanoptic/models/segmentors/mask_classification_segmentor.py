"""The segmentor base of the mask-classification families: class counts are given once."""
from typing import Optional

from mmdet.models.detectors import MaskFormer
from mmengine.config import ConfigDict

from mmpanoptic.registry import MODELS


def with_class_counts(cfg: dict, counts: dict, name: str) -> ConfigDict:
    """``cfg`` with the model's class ``counts`` written in; raises if it states a different count.

    Args:
        cfg (dict): a sub-module config (``panoptic_head`` ...).
        counts (dict): ``num_things_classes`` / ``num_stuff_classes`` (and the like) of the model.
        name (str): the sub-module's key in ``model``, for the message.
    """
    cfg = ConfigDict(cfg)
    for key, value in counts.items():
        if cfg.get(key, value) != value:
            raise ValueError(f'model.{name}.{key} is {cfg[key]}, but the model\'s class counts give {value} '
                             '(set num_things_classes and num_stuff_classes once, in model=dict(...))')
        cfg[key] = value
    return cfg


@MODELS.register_module()
class MaskClassificationSegmentor(MaskFormer):
    """mmdet's :class:`MaskFormer` flow (backbone -> neck -> ``panoptic_head`` -> ``panoptic_fusion_head``)
    with the dataset's class counts given in one place.

    ``num_things_classes`` and ``num_stuff_classes`` are written into the configs of ``panoptic_head`` and
    ``panoptic_fusion_head``; a family whose trailing kernels are bound to the stuff classes
    (``bound_stuff_kernels``, K-Net) also gets the fusion head's ``num_bound_kernels``. A sub-config that
    states a different count raises, so a count cannot silently disagree between the parts.

    Args:
        num_things_classes (int): thing classes of the dataset.
        num_stuff_classes (int): stuff classes of the dataset.
        Others: as :class:`mmdet.models.MaskFormer`.

    Checkpoint loading: ``checkpoint_family`` names the adapter of :mod:`mmpanoptic.models.checkpoint_adapters`
    that converts the family's official layout (None: no official layout).
    """

    checkpoint_family: Optional[str] = None
    bound_stuff_kernels: bool = False

    def __init__(self,
                 backbone: dict,
                 panoptic_head: dict,
                 panoptic_fusion_head: dict,
                 num_things_classes: int,
                 num_stuff_classes: int,
                 neck: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg=None):
        counts = dict(num_things_classes=num_things_classes, num_stuff_classes=num_stuff_classes)
        fusion_counts = dict(counts, num_bound_kernels=num_stuff_classes) if self.bound_stuff_kernels else counts
        panoptic_head = with_class_counts(panoptic_head, counts, 'panoptic_head')
        panoptic_fusion_head = with_class_counts(panoptic_fusion_head, fusion_counts, 'panoptic_fusion_head')
        super().__init__(backbone=backbone, neck=neck, panoptic_head=panoptic_head,
                         panoptic_fusion_head=panoptic_fusion_head, train_cfg=train_cfg, test_cfg=test_cfg,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
