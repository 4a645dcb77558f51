"""YOSO detector: backbone, :class:`YOSONeck`, :class:`YOSOHead` and mmdet's mask-classification merge."""
from mmdet.models.detectors import MaskFormer
from mmdet.structures import SampleList
from torch import Tensor

from mmpanoptic.registry import MODELS


@MODELS.register_module()
class YOSO(MaskFormer):
    """You Only Segment Once (Hu et al., CVPR 2023).

    The data flow, losses and outputs are those of mmdet's :class:`~mmdet.models.MaskFormer`:
    ``loss`` returns the head's per-stage losses; ``predict`` fills ``pred_panoptic_seg`` (and
    ``pred_instances`` when ``test_cfg.instance_on``) through ``panoptic_fusion_head``
    (``MaskFormerFusionHead`` with the dataset's ``object_mask_thr`` and ``iou_thr=0.8``), as a
    ``torch.long`` map of ``label + instance_id * INSTANCE_OFFSET`` (VOID = ``num_classes``).

    Checkpoints of the official implementation (detectron2 layout, ``yoso_neck.*`` / ``yoso_head.*`` keys)
    are converted on loading by the ``yoso`` checkpoint adapter
    (:mod:`mmpanoptic.models.checkpoint_adapters`), class rows permuted to the dataset's label order.
    """

    checkpoint_family = 'yoso'

    def predict(self, batch_inputs: Tensor, batch_data_samples: SampleList, rescale: bool = True) -> SampleList:
        """MaskFormer's prediction, with the panoptic map as ``torch.long``."""
        results = super().predict(batch_inputs, batch_data_samples, rescale=rescale)
        for result in results:
            if 'pred_panoptic_seg' in result:
                result.pred_panoptic_seg.sem_seg = result.pred_panoptic_seg.sem_seg.long()
        return results
