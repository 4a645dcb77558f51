"""inference_model on a tiny K-Net with random weights: paths, BGR and grayscale arrays, lists mixing them and the
errors for a missing file or an array of another shape."""
import cv2
import numpy as np
import pytest
import torch

from mmpanoptic.apis import inference_model, init_model
from mmpanoptic.errors import DataError

CONFIG = 'configs/knet/knet_s3_r18-tiny_fpn_synthetic-shapes.py'
H, W = 32, 40


@pytest.fixture(scope='module')
def model(repo_root):
    torch.manual_seed(0)
    return init_model(f'{repo_root}/{CONFIG}', None)


@pytest.fixture(scope='module')
def gray():
    return np.random.default_rng(0).integers(0, 255, (H, W), dtype=np.uint8)


def panoptic(result) -> torch.Tensor:
    """The (1, H, W) panoptic map of one result."""
    return result.pred_panoptic_seg.sem_seg


def test_grayscale_arrays_are_segmented_as_bgr(model, gray):
    expected = panoptic(inference_model(model, np.repeat(gray[..., None], 3, axis=2)))
    assert expected.shape == (1, H, W)
    for image in (gray, gray[..., None]):
        assert torch.equal(panoptic(inference_model(model, image)), expected)


def test_list_mixing_paths_gray_and_bgr(model, gray, tmp_path):
    path = tmp_path / 'image.png'
    cv2.imwrite(str(path), np.repeat(gray[..., None], 3, axis=2))
    bgr = np.random.default_rng(1).integers(0, 255, (H + 8, W, 3), dtype=np.uint8)
    results = inference_model(model, [gray, str(path), bgr])  # a path after an array is still read from disk
    assert [tuple(panoptic(r).shape) for r in results] == [(1, H, W), (1, H, W), (1, H + 8, W)]
    assert results[1].img_path == str(path)
    assert torch.equal(panoptic(results[0]), panoptic(results[1]))
    assert torch.equal(panoptic(inference_model(model, str(path))), panoptic(results[1]))


def test_missing_file_is_named(model, tmp_path):
    missing = str(tmp_path / 'missing.jpg')
    with pytest.raises(FileNotFoundError, match=f'{missing}: image file not found'):
        inference_model(model, missing)
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        inference_model(model, [np.zeros((H, W), np.uint8), missing])


@pytest.mark.parametrize('shape', [(H, W, 4), (H, W, 2), (1, H, W, 3), (H, )])
def test_other_shapes_are_refused_with_the_shape(model, shape):
    with pytest.raises(DataError, match=rf'shape \({", ".join(map(str, shape))},?\)'):
        inference_model(model, np.zeros(shape, np.uint8))
