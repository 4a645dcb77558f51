"""The one kernel panoptic head of K-Net, RT-K-Net (and Video K-Net): proposals, update stages, aux losses."""
from typing import Dict, Optional, Sequence, Tuple

from mmdet.structures import SampleList
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmpanoptic.models.targets.panoptic_targets import panoptic_gt_at, panoptic_segments
from mmpanoptic.registry import MODELS
from .kernel_structures import KernelHeadOutput, PanopticTargets


@MODELS.register_module()
class KernelPanopticHead(BaseModule):
    """``proposal_head`` -> ``iter_head`` (:class:`KernelIterHead`) -> class and mask logits, plus
    ``aux_heads``.

    * ``proposal_head`` gives the features X, the initial kernels and masks (:class:`KernelProposals`):
      :class:`KernelProposalHead` (K-Net: learned thing kernels and one kernel bound to each stuff class) or
      :class:`DirectKernelProposalHead` (RT-K-Net: unified kernels read from the transformed features).
    * ``iter_head`` runs the update stages; its matched and bound kernel counts come from the proposal
      stage. With bound stuff kernels the matching uses the thing classes only and the stuff kernels are
      trained on their classes' masks; without, every segment (things and stuff) is matched.
    * ``aux_heads`` (name -> config) add losses (:mod:`.kernel_aux_heads`): K-Net's semantic focal loss on
      the proposal logits, RT-K-Net's auxiliary semantic head and instance discrimination loss.

    Loss keys, one scheme for every family: ``init_loss_{mask,dice,rank}`` for the initial set (matched
    kernels only), ``s{i}_loss_{cls,mask,dice,rank}`` for the stages, and each aux head's own keys
    (``loss_seg``, ``loss_inst_disc``).

    Args:
        num_things_classes (int): thing classes (set by the segmentor).
        num_stuff_classes (int): stuff classes (set by the segmentor).
        proposal_head (dict): the proposal stage (classes are filled in).
        iter_head (dict): :class:`KernelIterHead` config (classes and kernel counts are filled in).
        aux_heads (dict, optional): name -> config of an auxiliary loss module (classes are filled in).
        ignore_index (int): void label of the semantic map. Defaults to 255.
        train_cfg, test_cfg (dict, optional): unused, accepted from :class:`MaskFormer`.
    """

    def __init__(self,
                 num_things_classes: int,
                 num_stuff_classes: int,
                 proposal_head: dict,
                 iter_head: dict,
                 aux_heads: Optional[Dict[str, dict]] = None,
                 ignore_index: int = 255,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.num_things_classes = num_things_classes
        self.num_stuff_classes = num_stuff_classes
        self.num_classes = num_things_classes + num_stuff_classes
        self.ignore_index = ignore_index
        classes = dict(num_classes=self.num_classes, num_things_classes=num_things_classes)
        self.proposal_head = MODELS.build(dict(proposal_head, **classes))
        self.num_proposals = self.proposal_head.num_proposals
        self.bound_stuff_kernels = self.proposal_head.num_bound_kernels > 0
        self.iter_head = MODELS.build(
            dict(iter_head, num_matched_kernels=self.num_proposals,
                 num_bound_kernels=self.proposal_head.num_bound_kernels,
                 num_assign_classes=num_things_classes if self.bound_stuff_kernels else None, **classes))
        self.aux_heads = nn.ModuleDict(
            {name: MODELS.build(dict(cfg, **classes)) for name, cfg in (aux_heads or {}).items()})

    def forward(self, feats: Sequence[Tensor], batch_data_samples: Optional[SampleList] = None) -> KernelHeadOutput:
        """The neck's tuple -> the proposals and every stage's (kernels, class logits, mask logits)."""
        proposals = self.proposal_head(feats)
        return KernelHeadOutput(proposals, self.iter_head(proposals.feats, proposals.kernels, proposals.masks))

    def predict(self, feats: Sequence[Tensor], batch_data_samples: SampleList) -> Tuple[Tensor, Tensor]:
        """Class logits (B, N, C) and mask logits (B, N, H, W) of the last stage (upsampled if the iter
        head's ``upsample_test_masks``)."""
        _, cls_logits, mask_logits = self(feats, batch_data_samples).stages[-1]
        upsampled = self.iter_head.upsample(mask_logits) if self.iter_head.upsample_test_masks else mask_logits
        return cls_logits, upsampled

    def targets(self, batch_data_samples: SampleList, size: Tuple[int, int]) -> PanopticTargets:
        """The ground truth of the batch at ``size`` (the upsampled mask resolution)."""
        things, stuff, semantic = panoptic_gt_at(batch_data_samples, size, self.num_things_classes,
                                                 self.num_classes, self.ignore_index)
        segments = [panoptic_segments(t, s, self.num_things_classes) for t, s in zip(things, stuff)]
        return PanopticTargets(things, stuff, segments, semantic)

    def loss(self, feats: Sequence[Tensor], batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Initial-set, stage and auxiliary losses (see the class docstring for the keys)."""
        proposals = self.proposal_head(feats)
        init_masks = self.iter_head.upsample(proposals.masks[:, :self.num_proposals])
        targets = self.targets(batch_data_samples, init_masks.shape[-2:])
        matched = targets.things if self.bound_stuff_kernels else targets.segments
        losses = dict()
        init_targets = self.iter_head.get_targets((None, init_masks), matched)
        for name, value in self.iter_head.loss_by_set(None, init_masks, init_targets).items():
            losses[f'init_{name}'] = value
        losses.update(self.iter_head.loss(proposals.feats, proposals.kernels, (None, proposals.masks), matched,
                                          targets.stuff if self.bound_stuff_kernels else None))
        for aux in self.aux_heads.values():
            losses.update(aux(proposals, feats, targets, self.iter_head.upsample))
        return losses
