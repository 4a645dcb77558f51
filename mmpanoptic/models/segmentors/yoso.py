"""YOSO detector: backbone, :class:`YOSONeck`, :class:`YOSOHead` and mmdet's mask-classification merge."""
from typing import Mapping

from mmdet.models.detectors import MaskFormer
from mmdet.structures import SampleList
from torch import Tensor

from mmpanoptic.models.utils.yoso_checkpoint import convert_official_yoso_state_dict, is_official_yoso_state_dict
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
    load transparently: they are converted by
    :func:`~mmpanoptic.models.utils.convert_official_yoso_state_dict`. A checkpoint of another model
    family (no YOSO neck or head keys but other non-backbone keys) is refused with an error instead of
    leaving the neck and head silently at their initial weights.
    """

    def predict(self, batch_inputs: Tensor, batch_data_samples: SampleList, rescale: bool = True) -> SampleList:
        """MaskFormer's prediction, with the panoptic map as ``torch.long``."""
        results = super().predict(batch_inputs, batch_data_samples, rescale=rescale)
        for result in results:
            if 'pred_panoptic_seg' in result:
                result.pred_panoptic_seg.sem_seg = result.pred_panoptic_seg.sem_seg.long()
        return results

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        if prefix == '':
            # A detectron2 checkpoint file keeps its weights under "model"; mmengine passes the whole file.
            nested = state_dict.get('model')
            official = nested if isinstance(nested, Mapping) else state_dict
            if is_official_yoso_state_dict(official):
                converted = convert_official_yoso_state_dict(official)
                state_dict.clear()
                state_dict.update(converted)
            self._check_family(state_dict)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def _check_family(self, state_dict) -> None:
        """Raise if ``state_dict`` has non-backbone weights but none of this model's neck or head."""
        own = [k for k in self.state_dict() if k.startswith(('neck.', 'panoptic_head.'))]
        if any(k in state_dict for k in own):
            return
        foreign = [k for k in state_dict if not k.startswith(('backbone.', 'data_preprocessor.'))]
        if foreign:
            raise ValueError('The checkpoint is not a YOSO checkpoint: it has none of the YOSO neck/head '
                             f'parameters (e.g. {own[0]}) but has other weights (e.g. {foreign[:3]}). Load a YOSO '
                             'checkpoint (mmpanoptic or official layout) or a backbone-only checkpoint.')
