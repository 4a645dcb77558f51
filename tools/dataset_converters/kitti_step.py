"""Arrange KITTI-STEP in the deeplab2 layout that ``KITTISTEPDataset`` reads.

Usage::

    # from the KITTI tracking images + the STEP panoptic maps (deeplab2 download)
    python tools/dataset_converters/kitti_step.py OUT --kitti-images KITTI/training/image_02 \\
        --panoptic-maps STEP/panoptic_maps [--test-images KITTI/testing/image_02] [--copy]
    # from Video K-Net's flat layout (video_sequence/{split}/<seq %06d>_<frame %06d>_{leftImg8bit,panoptic}.png)
    python tools/dataset_converters/kitti_step.py OUT --video-knet kitti-step/video_sequence [--copy]

Writes ``OUT/images/{train,val[,test]}/<seq %04d>/<frame %06d>.png`` and
``OUT/panoptic_maps/{train,val}/<seq %04d>/<frame %06d>.png`` as symbolic links (or copies with ``--copy``).
The split of each sequence is the split of its panoptic maps (train 0,1,3,4,5,9,11,12,15,17,19,20; val
2,6,7,8,10,13,14,16,18). Missing images raise an error naming the file.
"""
import argparse
import os
import os.path as osp
import re

from mmpanoptic.cli import main_with_clear_errors

_FLAT = re.compile(r'^(\d+)_(\d+)_(leftImg8bit|panoptic)\.png$')


def from_kitti(out: str, kitti_images: str, panoptic_maps: str, test_images: str = None, copy: bool = False) -> int:
    """Link each STEP map and its KITTI tracking image into the deeplab2 layout; return the frame count."""
    from mmpanoptic.datasets.converters import place_file
    count = 0
    for split in sorted(os.listdir(panoptic_maps)):
        for seq in sorted(os.listdir(osp.join(panoptic_maps, split))):
            for name in sorted(os.listdir(osp.join(panoptic_maps, split, seq))):
                place_file(osp.join(kitti_images, seq, name), osp.join(out, 'images', split, seq, name), copy)
                place_file(osp.join(panoptic_maps, split, seq, name),
                           osp.join(out, 'panoptic_maps', split, seq, name), copy)
                count += 1
    if test_images:
        for seq in sorted(os.listdir(test_images)):
            for name in sorted(os.listdir(osp.join(test_images, seq))):
                place_file(osp.join(test_images, seq, name), osp.join(out, 'images', 'test', seq, name), copy)
                count += 1
    return count


def from_video_knet(out: str, video_sequence: str, copy: bool = False) -> int:
    """Rearrange Video K-Net's flat ``video_sequence/{split}`` files; return the file count."""
    from mmpanoptic.datasets.converters import place_file
    count = 0
    for split in sorted(os.listdir(video_sequence)):
        for name in sorted(os.listdir(osp.join(video_sequence, split))):
            match = _FLAT.match(name)
            if match is None:
                raise ValueError(f'{osp.join(video_sequence, split, name)}: expected '
                                 '<seq>_<frame>_{leftImg8bit,panoptic}.png')
            seq, frame, kind = int(match.group(1)), int(match.group(2)), match.group(3)
            folder = 'images' if kind == 'leftImg8bit' else 'panoptic_maps'
            place_file(osp.join(video_sequence, split, name),
                       osp.join(out, folder, split, f'{seq:04d}', f'{frame:06d}.png'), copy)
            count += 1
    return count


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out', help='output root (data/kitti-step)')
    parser.add_argument('--kitti-images', help='KITTI tracking training/image_02')
    parser.add_argument('--panoptic-maps', help='STEP panoptic_maps folder with train/ and val/')
    parser.add_argument('--test-images', help='KITTI tracking testing/image_02')
    parser.add_argument('--video-knet', help="Video K-Net's video_sequence folder")
    parser.add_argument('--copy', action='store_true', help='copy files instead of linking them')
    args = parser.parse_args(argv)
    if not args.video_knet and not (args.kitti_images and args.panoptic_maps):
        parser.error('give --video-knet, or --kitti-images and --panoptic-maps')
    return args


def main(argv=None) -> None:
    """Place the files; errors are raised (the command line prints user errors as one ``error:`` line)."""
    args = parse_args(argv)
    if args.video_knet:
        count = from_video_knet(args.out, args.video_knet, args.copy)
    else:
        count = from_kitti(args.out, args.kitti_images, args.panoptic_maps, args.test_images, args.copy)
    print(f'{count} files placed under {args.out}')


if __name__ == '__main__':
    main_with_clear_errors(main)()
