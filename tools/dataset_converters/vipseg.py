"""VIPSeg release -> the 720p COCO-panoptic video layout ``VIPSegDataset`` reads.

Usage::

    python tools/dataset_converters/vipseg.py data/VIPSeg data/VIPSeg_720P [--height 720] [--nproc 8]

Reads ``VIPSeg/{train,val,test}.txt`` (video names), ``VIPSeg/imgs/<video>/<frame %08d>.jpg`` and
``VIPSeg/panomasks/<video>/<frame %08d>.png`` (one channel: 0 = VOID, ``c`` = stuff of raw class ``c``
(1-124), ``c * 100 + k`` = instance ``k`` of raw class ``c``; category id = raw class - 1). Writes what the
dataset's own scripts (``change2_720p.py``, ``create_panoptic_video_labels.py``, ``splitjson.py``) write:

* ``images/<video>/<frame>.jpg``: the frames resized to ``--height`` (bilinear, width scaled alike), for
  every listed video, test included;
* ``panomasks/<video>/<frame>.png``: the raw masks resized alike (nearest), train and val;
* ``panomasksRGB/<video>/<frame>.png``: COCO-panoptic RGB ids, ``id = R + 256 G + 256^2 B``; the segment
  id is the raw mask value, so one object keeps its id in every frame of its video;
* ``panoptic_gt_VIPSeg_{train,val}.json``: ``{videos: [{video_id, images}], annotations: [{video_id,
  annotations}], categories}`` with per-frame COCO-panoptic entries (``iscrowd`` 0).

A listed video without frames, a train/val frame without mask, a mask of another size than its frame, a
corrupt PNG and a raw class outside 1-124 raise an error naming the file.
"""
import argparse
import os
import os.path as osp
from functools import partial
from typing import TYPE_CHECKING, List, Tuple

from mmpanoptic.cli import main_with_clear_errors

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

SPLITS = ('train', 'val', 'test')
NUM_CLASSES = 124
THING_DIVISOR = 100


def read_split(root: str, split: str) -> List[str]:
    """Video names listed in ``<root>/<split>.txt``."""
    path = osp.join(root, f'{split}.txt')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: missing')
    with open(path) as f:
        videos = [line.strip() for line in f if line.strip()]
    if not videos:
        raise ValueError(f'{path}: no video names')
    return videos


def raw_categories(mask: 'np.ndarray', path: str) -> dict:
    """Segment id (raw value) -> category id of a raw VIPSeg mask (H, W)."""
    import numpy as np
    values = np.unique(mask[mask > 0]).tolist()
    categories = {v: (v if v <= NUM_CLASSES else v // THING_DIVISOR) - 1 for v in values}
    unknown = [v for v, c in categories.items() if c >= NUM_CLASSES]
    if unknown:
        raise ValueError(f'{path}: raw values {unknown[:10]} have no class (raw class must be 1-{NUM_CLASSES})')
    return categories


def resize(image: 'Image.Image', height: int, resample: int) -> 'Image.Image':
    """``image`` at ``height`` rows, the width scaled by the same factor (truncated, as the official script)."""
    width, old_height = image.size
    return image.resize((int(height * width / old_height), height), resample)


def convert_frame(root: str, out: str, video: str, name: str, height: int, with_masks: bool) -> Tuple[dict, dict]:
    """Resize one frame (and its mask); return its ``images`` and ``annotations`` entries (None without mask)."""
    import numpy as np
    from PIL import Image

    from mmpanoptic.datasets.converters import check_size, read_png, segments_info, write_panoptic_png
    stem = osp.splitext(name)[0]
    image_path = osp.join(root, 'imgs', video, name)
    try:
        with Image.open(image_path) as image:
            size = image.size
            resized = resize(image.convert('RGB'), height, Image.BILINEAR)
    except OSError as error:
        raise IOError(f'{image_path}: cannot decode the image ({error})') from error
    os.makedirs(osp.join(out, 'images', video), exist_ok=True)
    resized.save(osp.join(out, 'images', video, name))
    if not with_masks:
        return None, None
    mask_path = osp.join(root, 'panomasks', video, f'{stem}.png')
    mask = read_png(mask_path, channels=1)
    check_size(mask_path, mask.shape, image_path, size[::-1])
    categories = raw_categories(mask, mask_path)
    mask = np.array(resize(Image.fromarray(mask.astype(np.int32)), height, Image.NEAREST)).astype(np.uint16)
    os.makedirs(osp.join(out, 'panomasks', video), exist_ok=True)
    Image.fromarray(mask).save(osp.join(out, 'panomasks', video, f'{stem}.png'))
    png_name = f'{stem}.png'
    write_panoptic_png(osp.join(out, 'panomasksRGB', video, png_name), mask)
    image = dict(id=stem, file_name=png_name, height=mask.shape[0], width=mask.shape[1])
    return image, dict(image_id=stem, file_name=png_name, segments_info=segments_info(mask, categories))


def convert_video(video: str, root: str, out: str, height: int, with_masks: bool) -> Tuple[dict, dict]:
    """Convert the frames of one video; return its ``videos`` and ``annotations`` entries."""
    folder = osp.join(root, 'imgs', video)
    names = sorted(n for n in os.listdir(folder) if not n.startswith('.')) if osp.isdir(folder) else []
    if not names:
        raise FileNotFoundError(f'{folder}: no frames for video {video!r}')
    entries = [convert_frame(root, out, video, name, height, with_masks) for name in names]
    return (dict(video_id=video, images=[e[0] for e in entries]),
            dict(video_id=video, annotations=[e[1] for e in entries]))


def convert(root: str, out: str, height: int = 720, nproc: int = 1) -> dict:
    """Convert every split; return the number of videos per split."""
    from mmpanoptic.datasets import VIPSegDataset
    from mmpanoptic.datasets.converters import coco_categories, run_tasks, write_json
    counts = {}
    for split in SPLITS:
        videos = read_split(root, split)
        with_masks = split != 'test'
        entries = run_tasks(partial(convert_video, root=root, out=out, height=height, with_masks=with_masks),
                            videos, nproc)
        if with_masks:
            write_json(osp.join(out, f'panoptic_gt_VIPSeg_{split}.json'),
                       dict(videos=[e[0] for e in entries], annotations=[e[1] for e in entries],
                            categories=coco_categories(VIPSegDataset.METAINFO)))
        counts[split] = len(entries)
    return counts


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='VIPSeg folder with imgs/, panomasks/ and {train,val,test}.txt')
    parser.add_argument('out', help='output folder (data/VIPSeg_720P)')
    parser.add_argument('--height', type=int, default=720, help='output frame height')
    parser.add_argument('--nproc', type=int, default=1, help='worker processes')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    """Convert the release; errors are raised (the command line prints user errors as one ``error:`` line)."""
    args = parse_args(argv)
    counts = convert(args.root, args.out, args.height, args.nproc)
    print('\n' + ', '.join(f'{split}: {count} videos' for split, count in counts.items()))


if __name__ == '__main__':
    main_with_clear_errors(main)()
