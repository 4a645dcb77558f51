"""Draw image panoptic predictions next to their ground truth, one row per image, into one picture.

Rows are ``image | ground truth | prediction``, enlarged by ``--scale`` (nearest neighbour) so that small
pictures stay readable. Predictions come from ``tools/test.py CONFIG CKPT --out RESULTS.pth`` and are read
with :func:`~mmpanoptic.evaluation.metrics.dump_results.load_predictions`, which unpickles nothing but
tensors and plain values (a plain pickle, which could run code when read, is refused). The ground truth is
read through the config's test dataset.

Example::

    python tools/test.py CONFIG CKPT --out work_dirs/NAME/results.pth
    python tools/misc/show_panoptic_results.py CONFIG work_dirs/NAME/results.pth work_dirs/NAME/predictions.png
"""
import argparse
import os
import os.path as osp
import sys
from typing import TYPE_CHECKING, List, Tuple

from mmengine.config import DictAction

from mmpanoptic.cli import load_config, main_with_clear_errors
from mmpanoptic.errors import DataError

if TYPE_CHECKING:
    import numpy as np


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Draw panoptic predictions next to their ground truth')
    parser.add_argument('config', help='config whose test dataset holds the ground truth')
    parser.add_argument('results', help='predictions written by tools/test.py --out RESULTS.pth')
    parser.add_argument('out', help='output picture')
    parser.add_argument('--num', type=int, default=8, help='number of images, in result order (default: 8)')
    parser.add_argument('--scale', type=int, default=4, help='enlargement factor (default: 4)')
    parser.add_argument('--no-captions', action='store_true', help='no class/id captions on things')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings, k=v')
    args = parser.parse_args(argv)
    for name in ('num', 'scale'):
        if getattr(args, name) < 1:
            parser.error(f'--{name} must be at least 1')
    return args


def ground_truth(data_info: dict) -> Tuple['np.ndarray', 'np.ndarray', List[int], List[int]]:
    """Semantic map (H, W) with VOID (``IGNORE_INDEX``), thing masks (N, H, W), labels and instance numbers
    (1..N, in ``segments_info`` order) of one image."""
    import mmcv
    import numpy as np

    from mmpanoptic.structures.panoptic_encoding import IGNORE_INDEX, coco_ids
    path = data_info['seg_map_path']
    png = mmcv.imread(path, flag='color', channel_order='rgb')
    if png is None:
        raise FileNotFoundError(f'cannot read the panoptic PNG {path}')
    ids = coco_ids(png)
    semantic = np.full(ids.shape, IGNORE_INDEX, np.int64)
    masks, labels, instance_ids = [], [], []
    for segment in data_info['segments_info']:
        region = ids == segment['id']
        semantic[region] = segment['category']
        if segment['is_thing']:
            masks.append(region)
            labels.append(segment['category'])
            instance_ids.append(len(instance_ids) + 1)
    return semantic, np.asarray(masks, bool).reshape(-1, *ids.shape), labels, instance_ids


def draw_row(result: dict, data_info: dict, meta: dict, scale: int, captions: bool) -> 'np.ndarray':
    """``image | ground truth | prediction`` of one prediction, (scale * H, 3 * scale * W + 8, 3) RGB."""
    import mmcv
    import numpy as np

    from mmpanoptic.visualization import draw_panoptic_gt
    from mmpanoptic.visualization.track_drawing import enlarge, prediction_parts
    image = mmcv.imread(result['img_path'], channel_order='rgb')
    if image is None:
        raise FileNotFoundError(f'cannot read the image {result["img_path"]}')
    panoptic = np.asarray(result['pred_panoptic_seg']['sem_seg'])[0]
    if panoptic.shape != image.shape[:2]:
        raise DataError(f'{result["img_path"]}: prediction is {panoptic.shape}, image is {image.shape[:2]} (the '
                        'predictions belong to other images; run tools/test.py again)')
    num_things = len(meta['thing_classes'])
    image = enlarge(image, scale)
    drawings = [image]
    for semantic, masks, labels, ids in (ground_truth(data_info),
                                         prediction_parts(panoptic, len(meta['classes']), num_things)):
        drawings.append(
            draw_panoptic_gt(image, enlarge(semantic, scale), enlarge(masks, scale), labels, ids, meta['classes'],
                             meta['palette'], captions=captions))
    gap = np.full((image.shape[0], 4, 3), 255, np.uint8)
    return np.concatenate([drawings[0], gap, drawings[1], gap, drawings[2]], axis=1)


@main_with_clear_errors
def main(argv=None) -> int:
    args = parse_args(argv)
    import cv2
    import numpy as np

    from mmpanoptic.evaluation.metrics.dump_results import load_predictions
    from mmpanoptic.registry import DATASETS
    from mmpanoptic.utils import register_all_modules
    results = load_predictions(args.results)
    if not results:
        raise DataError(f'{args.results}: holds no predictions (run tools/test.py CONFIG CKPT --out '
                        f'{args.results} on a test set with images)')
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    by_path = {dataset.get_data_info(i)['img_path']: dataset.get_data_info(i) for i in range(len(dataset))}
    rows = []
    for result in results[:args.num]:
        if result['img_path'] not in by_path:
            raise DataError(f'{args.results}: image {result["img_path"]} is not in the test dataset of '
                            f'{args.config} (give the config the predictions were made with)')
        rows.append(draw_row(result, by_path[result['img_path']], dataset.metainfo, args.scale,
                             not args.no_captions))
    width = max(row.shape[1] for row in rows)
    rows = [np.pad(row, ((0, 4), (0, width - row.shape[1]), (0, 0)), constant_values=255) for row in rows]
    picture = np.concatenate(rows, axis=0)[:-4]
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    if not cv2.imwrite(args.out, picture[..., ::-1]):
        raise DataError(f'{args.out}: cannot be written (give a writable path ending in .png or .jpg)')
    print(f'{len(rows)} images (image | ground truth | prediction) drawn into {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
