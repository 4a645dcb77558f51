"""Panoptic SegFormer (Li et al., CVPR 2022) on mmdet's Deformable DETR."""
from typing import Dict, Optional

from mmdet.models.detectors import DeformableDETR
from mmdet.structures import SampleList
from mmengine.config import ConfigDict
from mmengine.structures import PixelData
from torch import Tensor

from mmpanoptic.registry import MODELS
from .mask_classification_segmentor import with_class_counts


@MODELS.register_module()
class PanopticSegFormer(DeformableDETR):
    """Backbone -> ChannelMapper (4 levels, GN) -> mmdet's deformable encoder -> location decoder (mmdet's
    Deformable DETR decoder with box refinement; ``query_embedding`` (Q, 2C) split ``[pos | content]``) ->
    :class:`PanopticSegFormerHead` (query filtering, things and stuff mask decoders) ->
    :class:`MaskClassificationFusionHead` (rescoring by mask quality and the mask-wise paint merge).

    ``predict`` fills ``pred_panoptic_seg`` (``label + instance_id * INSTANCE_OFFSET``, VOID =
    ``num_classes``, ``torch.long``). Padded batches (the official code runs batch 1 without padding): the
    mask decoders ignore padded tokens and the masks are cropped to the image's cells of the /8 grid before the
    resize (``mask_resize='crop_direct'``), so the merge sees the grid the image has alone. The features are
    close to, not equal to, the un-padded ones: the backbone's receptive fields and the neck's GroupNorm see
    the padding, and mmdet's deformable attention normalises its sampling offsets by the padded size.

    Args:
        num_things_classes (int): thing classes. num_stuff_classes (int): stuff classes.
        panoptic_fusion_head (dict): the fusion head; ``test_cfg`` is its ``test_cfg`` (``max_per_image`` is
            also the number of thing candidates).
        Others: as :class:`mmdet.models.DeformableDETR` (``as_two_stage`` is not supported).

    Official checkpoints (mmdet 2.x layout, ``bbox_head.transformer.*`` keys, old mask-head names) are
    converted on loading by the ``panoptic_segformer`` checkpoint adapter.
    """

    checkpoint_family = 'panoptic_segformer'

    def __init__(self,
                 num_things_classes: int,
                 num_stuff_classes: int,
                 backbone: dict,
                 neck: dict,
                 encoder: dict,
                 decoder: dict,
                 positional_encoding: dict,
                 bbox_head: dict,
                 panoptic_fusion_head: dict,
                 num_queries: int = 300,
                 with_box_refine: bool = True,
                 num_feature_levels: int = 4,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg=None):
        counts = dict(num_things_classes=num_things_classes, num_stuff_classes=num_stuff_classes)
        self.num_things_classes = num_things_classes
        self.num_stuff_classes = num_stuff_classes
        bbox_head = with_class_counts(bbox_head, counts, 'bbox_head')
        fusion = with_class_counts(panoptic_fusion_head, counts, 'panoptic_fusion_head')
        fusion.test_cfg = ConfigDict(test_cfg or {})
        super().__init__(backbone=backbone, neck=neck, encoder=encoder, decoder=decoder, bbox_head=bbox_head,
                         positional_encoding=positional_encoding, num_queries=num_queries,
                         with_box_refine=with_box_refine, as_two_stage=False,
                         num_feature_levels=num_feature_levels, train_cfg=train_cfg, test_cfg=None,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.panoptic_fusion_head = MODELS.build(fusion)

    def forward_transformer(self, img_feats, batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """mmdet's encoder/decoder flow, keeping what the mask decoders need: ``hidden_states``
        (layers, B, Q, C), ``references``, ``memory`` (B, L, C), ``memory_mask`` (B, L) or None and
        ``spatial_shapes`` (levels, 2)."""
        encoder_inputs, decoder_inputs = self.pre_transformer(img_feats, batch_data_samples)
        encoder_outputs = self.forward_encoder(**encoder_inputs)
        decoder_extra, _ = self.pre_decoder(**encoder_outputs)
        decoder_inputs.update(decoder_extra)
        head_inputs = self.forward_decoder(**decoder_inputs)
        head_inputs.update(encoder_outputs)
        return head_inputs

    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> Dict[str, Tensor]:
        head_inputs = self.forward_transformer(self.extract_feat(batch_inputs), batch_data_samples)
        return self.bbox_head.loss(**head_inputs, batch_data_samples=batch_data_samples)

    def predict_candidates(self, batch_inputs: Tensor, batch_data_samples: SampleList):
        """Scores (B, N), labels (B, N) and raw masks (B, N, H/8, W/8) of the candidate segments."""
        head_inputs = self.forward_transformer(self.extract_feat(batch_inputs), batch_data_samples)
        return self.bbox_head.predict(**head_inputs, max_per_image=self.panoptic_fusion_head.max_per_image)

    def predict(self, batch_inputs: Tensor, batch_data_samples: SampleList, rescale: bool = True) -> SampleList:
        scores, labels, masks = self.predict_candidates(batch_inputs, batch_data_samples)
        for i, sample in enumerate(batch_data_samples):
            objects = scores.new_ones(scores.shape[1], dtype=bool)
            panoptic, _, _ = self.panoptic_fusion_head.panoptic_from_scores(
                scores[i], labels[i], objects, masks[i], sample.metainfo, rescale)
            sample.pred_panoptic_seg = PixelData(sem_seg=panoptic[None])
        return batch_data_samples

    def _forward(self, batch_inputs: Tensor, batch_data_samples: Optional[SampleList] = None):
        return self.predict_candidates(batch_inputs, batch_data_samples)
