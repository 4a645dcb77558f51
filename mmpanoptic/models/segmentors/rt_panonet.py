"""RT-PanoNet: real-time panoptic segmentation from dense detections (Hou et al., CVPR 2020)."""
from typing import Optional, Tuple

from mmdet.models.detectors import BaseDetector
from mmdet.structures import SampleList
from torch import Tensor

from mmpanoptic.errors import ConfigError
from mmpanoptic.registry import MODELS
from .mask_classification_segmentor import with_class_counts


@MODELS.register_module()
class RTPanoNet(BaseDetector):
    """Backbone -> FPN (P3..P7) -> :class:`~mmpanoptic.models.heads.RTPanoHead`.

    Args:
        backbone (dict): e.g. mmdet's ResNet.
        neck (dict): mmdet's FPN with ``start_level=1``, ``add_extra_convs='on_output'``,
            ``relu_before_extra_convs=True``, 5 outputs (P6 from the P5 output, ReLU before P7: the released
            torchvision ``LastLevelP6P7``).
        panoptic_head (dict): :class:`RTPanoHead`; its class counts come from the model's.
        num_things_classes (int): thing classes of the dataset.
        num_stuff_classes (int): stuff classes of the dataset.
        train_cfg, test_cfg (dict, optional): given to the head.
        data_preprocessor (dict, optional): the released checkpoint needs caffe-style BGR input (mean
            ``[102.9801, 115.9465, 122.7717]``, std 1, no RGB conversion) padded to a multiple of 128.
        init_cfg (dict, optional): Defaults to None.

    Checkpoint loading: the released Cityscapes file converts through the ``'rt_panoptic'`` adapter.
    """

    checkpoint_family = 'rt_panoptic'

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 panoptic_head: dict,
                 num_things_classes: int,
                 num_stuff_classes: int,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        counts = dict(num_things_classes=num_things_classes, num_stuff_classes=num_stuff_classes)
        head = with_class_counts(panoptic_head, counts, 'panoptic_head')
        head.update(train_cfg=train_cfg, test_cfg=test_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.panoptic_head = MODELS.build(head)
        if neck.get('num_outs', self.panoptic_head.num_levels) != self.panoptic_head.num_levels:
            raise ConfigError(f'model.neck.num_outs: {neck["num_outs"]} levels, but model.panoptic_head.strides has '
                              f'{self.panoptic_head.num_levels} (give one stride per FPN output)')
        divisor = (data_preprocessor or {}).get('pad_size_divisor', 1)
        if divisor % max(self.panoptic_head.strides):
            raise ConfigError(f'model.data_preprocessor.pad_size_divisor: {divisor} is not a multiple of the largest '
                              f'stride {max(self.panoptic_head.strides)} (pad the inputs to a multiple of it: every '
                              'location must lie in the padded image)')
        self.num_things_classes = num_things_classes
        self.num_stuff_classes = num_stuff_classes

    def extract_feat(self, batch_inputs: Tensor) -> Tuple[Tensor, ...]:
        """FPN levels (B, 256, H / z, W / z), z = 8 .. 128, of images (B, 3, H, W)."""
        return tuple(self.neck(self.backbone(batch_inputs)))

    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> dict:
        return self.panoptic_head.loss(self.extract_feat(batch_inputs), batch_data_samples)

    def predict(self, batch_inputs: Tensor, batch_data_samples: SampleList, rescale: bool = True) -> SampleList:
        """``pred_panoptic_seg``, ``pred_sem_seg`` and ``pred_instances`` of each image (see
        :meth:`RTPanoHead.predict`)."""
        return self.panoptic_head.predict(self.extract_feat(batch_inputs), batch_data_samples, rescale=rescale)

    def _forward(self, batch_inputs: Tensor, batch_data_samples: Optional[SampleList] = None) -> Tuple[Tensor, ...]:
        """The network without post-processing (what ONNX export traces): the head's raw outputs as one flat
        tuple (:meth:`RTPanoOutputs.flat`; :meth:`RTPanoOutputs.from_flat` and
        :meth:`RTPanoHead.predict_by_outputs` turn them into predictions)."""
        return self.panoptic_head(self.extract_feat(batch_inputs)).flat()
