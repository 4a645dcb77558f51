"""tools/misc/browse_dataset.py on the synthetic image and video datasets (subprocess, no display)."""
import os
import os.path as osp
import subprocess

import cv2
import numpy as np

from mmpanoptic.datasets.synthetic_shapes import generate_image_dataset, generate_video_dataset
from mmpanoptic.visualization import track_colour
from mmpanoptic.visualization.local_visualizer import MIN_HEIGHT

TOOL = 'tools/misc/browse_dataset.py'
STEP_ID_OFFSET = 1 << 16


def browse(python_exe, repo_root, config, out_dir, *args):
    result = subprocess.run([python_exe, TOOL, config, '--not-show', '--output-dir', str(out_dir), *args],
                            cwd=repo_root, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_image_dataset(tmp_path, python_exe, repo_root):
    data_root = tmp_path / 'shapes'
    generate_image_dataset(str(data_root), seed=1, num_train=3, num_val=1, size=(48, 48))
    out = browse(python_exe, repo_root, 'configs/_base_/datasets/synthetic_shapes_panoptic.py', tmp_path / 'out',
                 '--cfg-options', f'train_dataloader.dataset.data_root={data_root}/')
    assert 'drew 3 pictures of 3 samples' in out
    names = sorted(os.listdir(tmp_path / 'out'))
    assert names == [f'{osp.splitext(n)[0]}.png' for n in sorted(os.listdir(data_root / 'train'))]
    drawing = cv2.imread(str(tmp_path / 'out' / names[0]))
    image = cv2.imread(str(data_root / 'train' / sorted(os.listdir(data_root / 'train'))[0]))
    # image (after the training pipeline) | ground truth, enlarged by the visualizer to at least MIN_HEIGHT rows
    scale = -(-MIN_HEIGHT // image.shape[0])
    height, width = image.shape[0] * scale, image.shape[1] * scale
    assert drawing.shape == (height, 2 * width + 4, 3)
    assert np.abs(drawing[:, -width:].astype(int) - drawing[:, :width]).mean() > 10  # the ground truth is drawn


def recovered_colour(drawing, image, mask):
    """Median colour blended at alpha 0.5 over the interior of ``mask`` (RGB)."""
    interior = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    colours = 2 * drawing[interior].astype(int) - image[interior].astype(int)
    return np.median(colours, axis=0)[::-1]


def test_video_dataset_keeps_track_colours(tmp_path, python_exe, repo_root):
    data_root = tmp_path / 'shapes_video'
    generate_video_dataset(str(data_root), seed=2, num_train=1, num_val=1, size=(64, 96), num_frames=3)
    out = browse(python_exe, repo_root, 'configs/_base_/datasets/synthetic_shapes_video.py', tmp_path / 'out',
                 '--phase', 'val', '--max-samples', '2', '--no-captions', '--cfg-options',
                 f'val_dataloader.dataset.data_root={data_root}/')
    assert 'drew 2 pictures of 2 samples' in out
    sequence = sorted(os.listdir(data_root / 'images' / 'val'))[0]
    assert sorted(os.listdir(tmp_path / 'out' / sequence)) == ['00000_000000.png', '00001_000001.png']
    frames = []
    for t in range(2):
        step = cv2.imread(str(data_root / 'panoptic_maps' / 'val' / sequence / f'{t:06d}.png'))[..., ::-1].astype(int)
        instance_ids = np.where(step[..., 1] * 256 + step[..., 2] > 0,
                                step[..., 0] * STEP_ID_OFFSET + step[..., 1] * 256 + step[..., 2], 0)
        frames.append((cv2.imread(str(tmp_path / 'out' / sequence / f'{t:05d}_{t:06d}.png')),
                       cv2.imread(str(data_root / 'images' / 'val' / sequence / f'{t:06d}.png')), instance_ids))
    shared = set(np.unique(frames[0][2])) & set(np.unique(frames[1][2])) - {0}
    track = max(shared, key=lambda i: min((f[2] == i).sum() for f in frames))
    colours = [recovered_colour(drawing, image, ids == track) for drawing, image, ids in frames]
    np.testing.assert_allclose(colours[0], colours[1], atol=2)
    np.testing.assert_allclose(colours[0], track_colour(int(track)), atol=2)
    other = next(iter(shared - {track}), None)
    if other is not None:
        assert np.abs(np.subtract(track_colour(int(other)), track_colour(int(track)))).max() > 30
