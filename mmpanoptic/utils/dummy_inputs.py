"""Model inputs of a chosen size without a dataset, for FLOP counting and latency benchmarks."""
from typing import Tuple

import torch
from mmdet.structures import DetDataSample


def dummy_data(shape: Tuple[int, int], batch_size: int = 1, seed: int = 0) -> dict:
    """A batch as a dataloader yields it: random uint8 images with their data samples.

    Args:
        shape (tuple): (H, W) of every image.
        batch_size (int): number of images.
        seed (int): seed of the random pixels.

    Returns:
        dict: ``inputs`` (list of (3, H, W) uint8 tensors) and ``data_samples`` (list of DetDataSample),
        ready for ``model.test_step`` or ``model.data_preprocessor``.
    """
    h, w = shape
    generator = torch.Generator().manual_seed(seed)
    inputs = [torch.randint(0, 256, (3, h, w), generator=generator, dtype=torch.uint8) for _ in range(batch_size)]
    metainfo = dict(img_shape=(h, w), ori_shape=(h, w), scale_factor=(1.0, 1.0), pad_shape=(h, w), flip=False,
                    flip_direction=None, img_id=0, img_path='')
    return dict(inputs=inputs, data_samples=[DetDataSample(metainfo=metainfo) for _ in range(batch_size)])
