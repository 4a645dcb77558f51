"""YOSO detector: backbone, :class:`YOSONeck`, :class:`YOSOHead` and mmdet's mask-classification merge."""
from mmpanoptic.registry import MODELS
from .mask_classification_segmentor import MaskClassificationSegmentor


@MODELS.register_module()
class YOSO(MaskClassificationSegmentor):
    """You Only Segment Once (Hu et al., CVPR 2023).

    The data flow, losses and outputs are those of mmdet's :class:`~mmdet.models.MaskFormer`:
    ``loss`` returns the head's per-stage losses; ``predict`` fills ``pred_panoptic_seg`` (and
    ``pred_instances`` when ``test_cfg.instance_on``) through ``panoptic_fusion_head``
    (:class:`MaskClassificationFusionHead` with the softmax scorer, the dataset's object-mask threshold
    ``score_thr`` and ``overlap_thr=0.8``), as a ``torch.long`` map of ``label + instance_id * INSTANCE_OFFSET``
    (VOID = ``num_classes``).

    Checkpoints of the official implementation (detectron2 layout, ``yoso_neck.*`` / ``yoso_head.*`` keys)
    are converted on loading by the ``yoso`` checkpoint adapter
    (:mod:`mmpanoptic.models.checkpoint_adapters`), class rows permuted to the dataset's label order.
    """

    checkpoint_family = 'yoso'
