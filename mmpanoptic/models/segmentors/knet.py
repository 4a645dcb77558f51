"""K-Net and RT-K-Net panoptic segmentors."""
from mmpanoptic.registry import MODELS
from .mask_classification_segmentor import MaskClassificationSegmentor


@MODELS.register_module()
class KNet(MaskClassificationSegmentor):
    """K-Net for panoptic segmentation (`K-Net: Towards Unified Image Segmentation
    <https://arxiv.org/abs/2106.14855>`_).

    ``backbone`` -> ``neck`` -> ``panoptic_head`` (:class:`KernelPanopticHead` with K-Net's
    :class:`KernelProposalHead`: class and mask logits of the last
    kernel update stage) -> ``panoptic_fusion_head`` (:class:`MaskClassificationFusionHead`, whose trailing
    kernels are bound to the stuff classes). Training and test follow mmdet's :class:`MaskFormer`. Official
    checkpoints (mmdet 2.x layout) are converted on loading by the ``knet`` checkpoint adapter
    (:mod:`mmpanoptic.models.checkpoint_adapters`).
    """

    checkpoint_family = 'knet'
    bound_stuff_kernels = True


@MODELS.register_module()
class RTKNet(KNet):
    """RT-K-Net (`RT-K-Net: Revisiting K-Net for Real-Time Panoptic Segmentation
    <https://arxiv.org/abs/2305.01255>`_).

    ``backbone`` (:class:`RTFormer`) -> ``neck`` (:class:`RTFormerFeatureHead`, the feature map generator)
    -> ``panoptic_head`` (:class:`KernelPanopticHead` with :class:`DirectKernelProposalHead`) ->
    ``panoptic_fusion_head``. Official detectron2
    checkpoints are converted on loading by the ``rtknet`` adapter (stuff-first class rows reordered to
    things first).
    """

    checkpoint_family = 'rtknet'
    bound_stuff_kernels = False
