"""Python inference API: build a model from a config and a checkpoint, then segment images."""
from typing import Optional, Sequence, Union

import numpy as np
import torch.nn as nn
from mmdet.apis import inference_detector, init_detector
from mmdet.structures import DetDataSample
from mmengine.config import Config

from mmpanoptic.engine.load import dataset_meta_from_cfg, load_weights
from mmpanoptic.utils import load_config, register_all_modules


def init_model(config: Union[str, Config],
               checkpoint: Optional[str] = None,
               device: str = 'cpu',
               cfg_options: Optional[dict] = None) -> nn.Module:
    """Build a panoptic model from ``config`` and load ``checkpoint`` into it, in eval mode.

    The checkpoint goes through the loader of ``tools/test.py`` (:func:`mmpanoptic.engine.load.load_weights`):
    official K-Net, RT-K-Net and YOSO files are converted by their family's adapter and every key must fit.
    ``model.dataset_meta`` is the meta of the config's test dataset.

    Args:
        config (str | Config): config file or object.
        checkpoint (str, optional): local path or http(s) URL of the weights.
        device (str): ``'cpu'`` or ``'cuda:0'`` ...
        cfg_options (dict, optional): overrides merged into the config.
    """
    register_all_modules()
    if isinstance(config, str):
        config = load_config(config, cfg_options)
    elif cfg_options:
        config.merge_from_dict(cfg_options)
    model = init_detector(config, None, device='cpu')  # warns about COCO classes: the meta is set below
    meta = dataset_meta_from_cfg(config)
    if meta is not None:
        model.dataset_meta = meta
    if checkpoint is not None:
        load_weights(model, checkpoint, strict=True, dataset_meta=meta)
    return model.to(device).eval()


def inference_model(model: nn.Module, imgs: Union[str, np.ndarray, Sequence]) -> Union[DetDataSample, list]:
    """Segment one image (path or HxWx3 BGR array) or a list of them.

    Returns:
        DetDataSample or list: with ``pred_panoptic_seg.sem_seg`` of shape (1, H, W) holding
        ``label + instance_id * INSTANCE_OFFSET``.
    """
    return inference_detector(model, imgs)
