"""K-Net and RT-K-Net panoptic segmentors."""
from mmdet.models.detectors import MaskFormer

from mmpanoptic.models.utils.knet_checkpoint import convert_official_state_dict
from mmpanoptic.registry import MODELS


@MODELS.register_module()
class KNet(MaskFormer):
    """K-Net for panoptic segmentation (`K-Net: Towards Unified Image Segmentation
    <https://arxiv.org/abs/2106.14855>`_).

    ``backbone`` -> ``neck`` -> ``panoptic_head`` (:class:`KNetHead`: class and mask logits of the last
    kernel update stage) -> ``panoptic_fusion_head`` (:class:`KernelPanopticFusionHead`). Training and test
    follow mmdet's :class:`MaskFormer`. Official checkpoints (mmdet 2.x layout) load directly; a
    checkpoint of another model family raises an error naming the family.
    """

    model_family = 'knet'

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        convert_official_state_dict(state_dict, prefix, self.model_family,
                                    num_stuff_classes=self.num_stuff_classes)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


@MODELS.register_module()
class RTKNet(KNet):
    """RT-K-Net (`RT-K-Net: Revisiting K-Net for Real-Time Panoptic Segmentation
    <https://arxiv.org/abs/2305.01255>`_).

    ``backbone`` (:class:`RTFormer`) -> ``neck`` (:class:`RTFormerHeadNeck`, the feature map generator)
    -> ``panoptic_head`` (:class:`RTKNetHead`) -> ``panoptic_fusion_head``. Official detectron2
    checkpoints load directly (their stuff-first classes are reordered to things first).
    """

    model_family = 'rtknet'
