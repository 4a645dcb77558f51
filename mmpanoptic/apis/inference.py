"""Python inference API: build a model from a config and a checkpoint, then segment images."""
import copy
import os.path as osp
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch.nn as nn
from mmcv.transforms import Compose
from mmdet.apis import inference_detector, init_detector
from mmdet.structures import DetDataSample
from mmdet.utils import get_test_pipeline_cfg
from mmengine.config import Config

from mmpanoptic.engine.load import dataset_meta_from_cfg, load_weights
from mmpanoptic.errors import DataError
from mmpanoptic.utils import load_config, register_all_modules

ImageInput = Union[str, np.ndarray]


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


def _checked_image(img: ImageInput, what: str) -> ImageInput:
    """A path that exists, or a BGR array (H, W, 3) made from a grayscale (H, W) or (H, W, 1) one.

    Raises:
        FileNotFoundError: ``img`` is a path and there is no such file.
        DataError: ``img`` is an array of another shape, or neither a path nor an array.
    """
    if isinstance(img, str):
        if not osp.isfile(img):
            raise FileNotFoundError(f'{img}: image file not found')
        return img
    if not isinstance(img, np.ndarray):
        raise DataError(f'{what}: a {type(img).__name__} is not an image (give a file path or an array)')
    if img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 1):
        return np.repeat(img.reshape(img.shape[:2])[..., None], 3, axis=2)
    if img.ndim != 3 or img.shape[2] != 3:
        raise DataError(f'{what}: an image array of shape {img.shape} (give (H, W, 3) BGR, or (H, W) / (H, W, 1) '
                        'grayscale)')
    return img


def _test_pipelines(model: nn.Module) -> Tuple[Compose, Compose]:
    """The test pipeline of ``model.cfg`` for image files, and the same starting with ``LoadImageFromNDArray``
    for arrays. Both are built from copies: mmdet's ``inference_detector`` builds its own by changing the
    first step of ``model.cfg`` in place, after which a path given in a later call would not be read."""
    steps = copy.deepcopy(get_test_pipeline_cfg(model.cfg))
    array_steps = copy.deepcopy(steps)
    array_steps[0].type = 'mmdet.LoadImageFromNDArray'
    return Compose(steps), Compose(array_steps)


def inference_model(model: nn.Module, imgs: Union[ImageInput, Sequence[ImageInput]]) -> Union[DetDataSample, list]:
    """Segment one image or a list of them.

    An image is a file path, a BGR array (H, W, 3) or a grayscale array (H, W) or (H, W, 1), which is segmented
    as the BGR image with three equal channels; a list may mix all three.

    Args:
        model (nn.Module): a model of :func:`init_model`.
        imgs (str | np.ndarray | Sequence): the image or the list of images.

    Returns:
        DetDataSample or list: with ``pred_panoptic_seg.sem_seg`` of shape (1, H, W) holding
        ``label + instance_id * INSTANCE_OFFSET``; a list for a list input.

    Raises:
        FileNotFoundError: a path names no file.
        DataError: an array has another shape, or an item is neither a path nor an array.
    """
    is_list = isinstance(imgs, (list, tuple))
    images = [_checked_image(img, f'image {index} of the list') for index, img in enumerate(imgs)] if is_list else [
        _checked_image(imgs, 'image')]
    file_pipeline, array_pipeline = _test_pipelines(model)
    results = [
        inference_detector(model, img, test_pipeline=file_pipeline if isinstance(img, str) else array_pipeline)
        for img in images
    ]
    return results if is_list else results[0]
