"""Images per second of a config's training pipeline, measured in one process (= one dataloader worker).

Usage::

    python tools/analysis_tools/benchmark_dataloader.py CONFIG [--num-samples 50] [--generate-cityscapes N]

``--generate-cityscapes N`` writes N random 1024x2048 Cityscapes-layout images with panoptic ground truth
(road/sky stuff, 20 car and person instances each) to a temporary folder and points the training dataset at
it, so the Cityscapes pipeline can be timed without the dataset. The figure is per worker: a dataloader with
``num_workers=k`` delivers about k times as many on k free cores.
"""
import argparse
import json
import os
import os.path as osp
import tempfile
import time

from mmpanoptic.cli import load_config, main_with_clear_errors


def generate_cityscapes(root: str, num_images: int, seed: int = 0) -> None:
    """Write ``num_images`` fake 1024x2048 train images in the Cityscapes panoptic layout under ``root``."""
    import cv2
    import numpy as np

    from mmpanoptic.structures.panoptic_encoding import coco_rgb
    rng = np.random.default_rng(seed)
    height, width = 1024, 2048
    images, annotations = [], []
    for index in range(num_images):
        image_id = f'fake_{index:06d}_000019'
        ids = np.where(np.arange(height)[:, None] < height // 3, 23, 7) * np.ones((1, width), np.int64)
        segments = [dict(id=7, category_id=7, iscrowd=0), dict(id=23, category_id=23, iscrowd=0)]
        for k in range(20):
            label_id = 26 if k % 2 else 24
            y, x = int(rng.integers(height // 3, height - 120)), int(rng.integers(0, width - 200))
            h, w = int(rng.integers(40, 120)), int(rng.integers(40, 200))
            ids[y:y + h, x:x + w] = label_id * 1000 + k + 1
            segments.append(dict(id=label_id * 1000 + k + 1, category_id=label_id, iscrowd=0))
        for segment in segments:
            mask = ids == segment['id']
            ys, xs = np.nonzero(mask)
            segment.update(area=int(mask.sum()), bbox=[int(xs.min()), int(ys.min()), int(np.ptp(xs) + 1),
                                                       int(np.ptp(ys) + 1)])
        segments = [s for s in segments if s['area'] > 0]
        img_dir = osp.join(root, 'leftImg8bit', 'train', 'fake')
        png_dir = osp.join(root, 'gtFine', 'cityscapes_panoptic_train')
        os.makedirs(img_dir, exist_ok=True)
        os.makedirs(png_dir, exist_ok=True)
        cv2.imwrite(osp.join(img_dir, f'{image_id}_leftImg8bit.png'),
                    rng.integers(0, 255, (height, width, 3), dtype=np.uint8))
        cv2.imwrite(osp.join(png_dir, f'{image_id}_gtFine_panoptic.png'), coco_rgb(ids)[..., ::-1])
        images.append(dict(id=image_id, file_name=f'{image_id}_leftImg8bit.png', height=height, width=width))
        annotations.append(dict(image_id=image_id, file_name=f'{image_id}_gtFine_panoptic.png',
                                segments_info=segments))
    with open(osp.join(root, 'gtFine', 'cityscapes_panoptic_train.json'), 'w') as f:
        json.dump(dict(images=images, annotations=annotations, categories=[]), f)


def benchmark(dataset, num_samples: int, warmup: int = 3) -> float:
    """Samples per second of ``dataset[i]`` (pipeline included) over ``num_samples`` samples."""
    for index in range(warmup):
        dataset[index % len(dataset)]
    start = time.perf_counter()
    for index in range(num_samples):
        dataset[index % len(dataset)]
    return num_samples / (time.perf_counter() - start)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--num-samples', type=int, default=50)
    parser.add_argument('--generate-cityscapes', type=int, metavar='N',
                        help='time on N generated 1024x2048 Cityscapes images')
    return parser.parse_args(argv)


@main_with_clear_errors
def main(argv=None) -> None:
    args = parse_args(argv)
    import cv2
    from mmengine.registry import init_default_scope

    from mmpanoptic.registry import DATASETS
    from mmpanoptic.utils import register_all_modules
    register_all_modules()
    init_default_scope('mmpanoptic')
    cfg = load_config(args.config)
    dataset_cfg = cfg.train_dataloader.dataset
    with tempfile.TemporaryDirectory() as tmp:
        if args.generate_cityscapes:
            generate_cityscapes(tmp, args.generate_cityscapes)
            dataset_cfg.data_root = tmp
        dataset = DATASETS.build(dataset_cfg)
        rate = benchmark(dataset, args.num_samples)
    print(f'{type(dataset).__name__}: {rate:.2f} images/s per worker '
          f'({args.num_samples} samples, OpenCV threads: {cv2.getNumThreads()})')


if __name__ == '__main__':
    main()
