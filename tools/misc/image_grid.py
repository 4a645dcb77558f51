"""Tile the pictures of a folder into one image, e.g. the ground truth | prediction pairs that
``tools/test.py --show-dir`` writes.

Example::

    python tools/misc/image_grid.py work_dirs/NAME/TIMESTAMP/show work_dirs/NAME/predictions.png --num 8
"""
import argparse
import os
import os.path as osp
import sys

import cv2
import numpy as np

PICTURE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Tile the pictures of a folder into one image')
    parser.add_argument('folder', help='folder of pictures (taken in file name order)')
    parser.add_argument('out', help='output picture')
    parser.add_argument('--num', type=int, default=8, help='number of pictures (default: 8)')
    parser.add_argument('--cols', type=int, default=2, help='pictures per row (default: 2)')
    parser.add_argument('--scale', type=int, default=3, help='nearest-neighbour upscaling factor (default: 3)')
    parser.add_argument('--gap', type=int, default=4, help='white gap between pictures in pixels (default: 4)')
    return parser.parse_args(argv)


def tile(pictures, cols: int, gap: int) -> np.ndarray:
    """Tile BGR pictures (H_i, W_i, 3) row by row on a white canvas; cells take the largest size."""
    cell_h = max(p.shape[0] for p in pictures)
    cell_w = max(p.shape[1] for p in pictures)
    rows = -(-len(pictures) // cols)
    canvas = np.full((rows * (cell_h + gap) - gap, cols * (cell_w + gap) - gap, 3), 255, np.uint8)
    for index, picture in enumerate(pictures):
        y, x = index // cols * (cell_h + gap), index % cols * (cell_w + gap)
        canvas[y:y + picture.shape[0], x:x + picture.shape[1]] = picture
    return canvas


def main(argv=None) -> int:
    args = parse_args(argv)
    for name in ('num', 'cols', 'scale'):
        if getattr(args, name) < 1:
            print(f'error: --{name} must be at least 1', file=sys.stderr)
            return 2
    if not osp.isdir(args.folder):
        print(f'error: folder {args.folder} does not exist', file=sys.stderr)
        return 2
    names = sorted(n for n in os.listdir(args.folder) if n.lower().endswith(PICTURE_SUFFIXES))[:args.num]
    if not names:
        print(f'error: folder {args.folder} has no pictures ({", ".join(PICTURE_SUFFIXES)})', file=sys.stderr)
        return 2
    pictures = []
    for name in names:
        picture = cv2.imread(osp.join(args.folder, name), cv2.IMREAD_COLOR)
        if picture is None:
            print(f'error: cannot read {osp.join(args.folder, name)}', file=sys.stderr)
            return 2
        pictures.append(cv2.resize(picture, None, fx=args.scale, fy=args.scale, interpolation=cv2.INTER_NEAREST))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    if not cv2.imwrite(args.out, tile(pictures, args.cols, args.gap)):
        print(f'error: cannot write {args.out}', file=sys.stderr)
        return 2
    print(f'{len(pictures)} pictures of {args.folder} tiled into {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
