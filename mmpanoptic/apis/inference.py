"""Python inference API: build a model from a config and a checkpoint, then segment images."""
from typing import Optional, Sequence, Union

import numpy as np
import torch.nn as nn
from mmdet.apis import inference_detector, init_detector
from mmdet.structures import DetDataSample
from mmengine.config import Config

from mmpanoptic.utils import register_all_modules


def init_model(config: Union[str, Config],
               checkpoint: Optional[str] = None,
               device: str = 'cpu',
               cfg_options: Optional[dict] = None) -> nn.Module:
    """Build a panoptic model from ``config`` and load ``checkpoint`` into it, in eval mode.

    Args:
        config (str | Config): config file or object.
        checkpoint (str, optional): local path or http(s) URL of the weights.
        device (str): ``'cpu'`` or ``'cuda:0'`` ...
        cfg_options (dict, optional): overrides merged into the config.
    """
    register_all_modules()
    return init_detector(config, checkpoint, device=device, cfg_options=cfg_options)


def inference_model(model: nn.Module, imgs: Union[str, np.ndarray, Sequence]) -> Union[DetDataSample, list]:
    """Segment one image (path or HxWx3 BGR array) or a list of them.

    Returns:
        DetDataSample or list: with ``pred_panoptic_seg.sem_seg`` of shape (1, H, W) holding
        ``label + instance_id * INSTANCE_OFFSET``.
    """
    return inference_detector(model, imgs)
