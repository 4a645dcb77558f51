from .direct_kernel_proposal_head import DirectKernelProposalHead  # noqa: F401
from .kernel_aux_heads import AuxSemanticHead, InstanceDiscriminationAux, ProposalSemanticLoss  # noqa: F401
from .kernel_iter_head import KernelIterHead  # noqa: F401
from .kernel_panoptic_head import KernelPanopticHead  # noqa: F401
from .kernel_proposal_head import KernelProposalHead  # noqa: F401
from .kernel_structures import KernelHeadOutput, KernelProposals, PanopticTargets  # noqa: F401
from .mask_classification_fusion_head import MaskClassificationFusionHead  # noqa: F401
from .yoso_head import YOSOHead  # noqa: F401
from .panoptic_segformer_head import PanopticSegFormerHead  # noqa: F401
from .panoptic_segformer_v1_head import PanopticSegFormerV1Head  # noqa: F401
from .rt_pano_head import RTPanoHead, RTPanoOutputs  # noqa: F401
