"""Cityscapes-VPS (VPSNet release) -> the layout ``CityscapesVPSDataset`` reads.

Usage::

    python tools/dataset_converters/cityscapes_vps.py data/cityscapes_vps \\
        --sequence data/cityscapes/leftImg8bit_sequence/val --gtfine data/cityscapes/gtFine/val \\
        [--splits train val test] [--copy] [--nproc 8]

The root holds the release: ``panoptic_im_{train,val,test}_city_vps.json``,
``im_all_info_{val,test}_city_vps.json`` and the unzipped ``{train,val}_gt.zip``, i.e. per labelled frame
a Cityscapes colour map ``{split}/cls/<image_id>_*.png`` and an instance map ``{split}/inst/<image_id>_*.png``
(``<image_id> = <video %04d>_<global frame %04d>_<city>_<seq>_<frame>``). The maps of the original
Cityscapes frames (``..._leftImg8bit.png`` images) are read from ``--gtfine`` when ``cls/``/``inst/`` do
not have them. The command does what VPSNet's ``fetch_city_images``, ``merge_datasets``,
``create_panoptic_labels`` and ``create_panoptic_video_labels`` do:

* ``{split}/img/<file_name>`` (and ``{split}/img_all/`` for val and test): links to (``--copy``: copies
  of) the ``leftImg8bit_sequence`` frames;
* for train and val, ``{split}/panoptic_video/<image_id>_{final_mask,gtFine_color}.png`` and
  ``panoptic_gt_{split}_city_vps.json`` (COCO panoptic, category id = Cityscapes trainId): colours of the
  19 classes give the trainId, colours of the classes that are not evaluated give VOID; stuff pixels are
  one segment per class, id ``(trainId + 1) * 1000``; an instance-map value ``v >= 1000`` whose majority
  class is a thing is one segment, id ``(trainId + 1) * 1000 + v % 1000``, the same in every frame of a
  video (the release keeps instance values consistent within a video). Thing pixels without an instance
  are VOID, so there is no crowd segment.

A missing file, a map of another size than its image, a corrupt PNG and a colour that is no Cityscapes
class raise an error naming the file.
"""
import argparse
import functools
import os.path as osp
from functools import partial
from typing import TYPE_CHECKING, Dict, Optional, Tuple

from mmpanoptic.cli import main_with_clear_errors

if TYPE_CHECKING:
    import numpy as np

VOID = 255
ID_DIVISOR = 1000
NUM_STUFF = 11  # trainIds 0-10 are stuff, 11-18 things
# Colours of the Cityscapes classes that are not evaluated (unlabeled, ego vehicle, rectification border,
# out of roi and static share black; dynamic, ground, parking, rail track, guard rail, bridge, tunnel,
# caravan, trailer). Polegroup and license plate share the colours of pole and car.
VOID_COLOURS = ((0, 0, 0), (111, 74, 0), (81, 0, 81), (250, 170, 160), (230, 150, 140), (180, 165, 180),
                (150, 100, 100), (150, 120, 90), (0, 0, 90), (0, 0, 110))
ID_PREFIX = len('0000_0000_')


def _colour_key(rgb) -> 'np.ndarray':
    """One integer per colour (the COCO-panoptic id arithmetic) of (..., 3) RGB values; shape (...)."""
    import numpy as np

    from mmpanoptic.structures.panoptic_encoding import coco_ids
    return coco_ids(np.asarray(rgb, np.int64))


@functools.lru_cache(maxsize=None)
def colour_to_train_id() -> Dict[int, int]:
    """``{colour key: trainId}`` of the Cityscapes colours, VOID for the classes that are not evaluated."""
    from mmpanoptic.datasets.cityscapes_panoptic import CITYSCAPES_CLASSES
    table = {int(_colour_key(c[4])): c[1] for c in CITYSCAPES_CLASSES}
    table.update({int(_colour_key(c)): VOID for c in VOID_COLOURS})
    return table


def train_ids(path: str) -> 'np.ndarray':
    """(H, W) trainIds (255 = VOID) of a Cityscapes colour map."""
    import numpy as np

    from mmpanoptic.datasets.converters import read_png
    table = colour_to_train_id()
    colour_key = _colour_key(read_png(path, channels=3))
    keys, inverse = np.unique(colour_key, return_inverse=True)
    unknown = [k for k in keys.tolist() if k not in table]
    if unknown:
        colours = [(k % 256, k // 256 % 256, k // 65536) for k in unknown[:5]]
        raise ValueError(f'{path}: colours {colours} are no Cityscapes class')
    return np.array([table[k] for k in keys.tolist()], np.int64)[inverse].reshape(colour_key.shape)


def panoptic_ids(semantic_path: str, instance_path: str, img_info: dict) -> 'np.ndarray':
    """(H, W) segment ids of one labelled frame (see the module docstring); 0 = VOID."""
    import numpy as np

    from mmpanoptic.datasets.converters import check_size, read_png
    train_id = train_ids(semantic_path)
    check_size(semantic_path, train_id.shape, f'image {img_info["file_name"]}',
               (img_info['height'], img_info['width']))
    instance = read_png(instance_path, channels=1).astype(np.int64)
    check_size(instance_path, instance.shape, semantic_path, train_id.shape)
    id_map = np.where(train_id < NUM_STUFF, (train_id + 1) * ID_DIVISOR, 0)
    for value in np.unique(instance[instance >= ID_DIVISOR]).tolist():
        mask = instance == value
        majority = int(np.bincount(train_id[mask]).argmax())
        if NUM_STUFF <= majority < VOID:
            id_map[mask] = (majority + 1) * ID_DIVISOR + value % ID_DIVISOR
    return id_map


def annotation_name(file_name: str) -> str:
    """Panoptic PNG name of an image: ``_newImg8bit`` -> ``_final_mask``, ``_leftImg8bit`` -> ``_gtFine_color``."""
    return file_name.replace('_newImg8bit', '_final_mask').replace('_leftImg8bit', '_gtFine_color')


def find_maps(root: str, split: str, gtfine: Optional[str]) -> Tuple[Dict[str, str], Dict[str, str]]:
    """Semantic and instance map paths by image id, from ``{split}/cls`` and ``{split}/inst``."""
    from mmpanoptic.datasets.converters import index_by_stem
    maps = []
    for folder in ('cls', 'inst'):
        path = osp.join(root, split, folder)
        files = index_by_stem(path, key_fields=5) if osp.isdir(path) or gtfine is None else {}
        maps.append({key: osp.join(path, name) for key, name in files.items()})
    return maps[0], maps[1]


def convert_frame(img_info: dict, root: str, split: str, semantic_maps: Dict[str, str],
                  instance_maps: Dict[str, str], gtfine: Optional[str]) -> dict:
    """Write the panoptic PNG of one labelled frame; return its ``annotations`` entry."""
    import numpy as np

    from mmpanoptic.datasets.converters import segments_info, write_panoptic_png
    image_id = img_info['id']
    name = image_id[ID_PREFIX:]
    original = osp.join(gtfine, name.split('_')[0], name) if gtfine else None
    paths = []
    for maps, suffix in ((semantic_maps, '_gtFine_color.png'), (instance_maps, '_gtFine_instanceIds.png')):
        if image_id in maps:
            paths.append(maps[image_id])
        elif original is not None and '_leftImg8bit' in img_info['file_name']:
            paths.append(original + suffix)
        else:
            folder = 'cls' if suffix == '_gtFine_color.png' else 'inst'
            raise FileNotFoundError(f'{osp.join(root, split, folder)}: no map of image {image_id!r}')
    id_map = panoptic_ids(paths[0], paths[1], img_info)
    png_name = annotation_name(img_info['file_name'])
    write_panoptic_png(osp.join(root, split, 'panoptic_video', png_name), id_map)
    categories = {int(i): int(i) // ID_DIVISOR - 1 for i in np.unique(id_map) if i}
    return dict(image_id=image_id, file_name=png_name, segments_info=segments_info(id_map, categories))


def place_images(root: str, split: str, sequence: str, copy: bool) -> int:
    """Link the frames of ``panoptic_im_{split}`` to ``{split}/img`` (and of ``im_all_info`` to ``img_all``)."""
    from mmpanoptic.datasets.converters import place_file, read_json
    count = 0
    images = read_json(osp.join(root, f'panoptic_im_{split}_city_vps.json'), required=('images', ))['images']
    for img_info in images:
        name = img_info['id'][ID_PREFIX:]
        place_file(osp.join(sequence, name.split('_')[0], f'{name}_leftImg8bit.png'),
                   osp.join(root, split, 'img', img_info['file_name']), copy)
        count += 1
    if split != 'train':
        all_info = osp.join(root, f'im_all_info_{split}_city_vps.json')
        for img_info in read_json(all_info, required=('images', ))['images']:
            file_name = img_info['file_name']
            place_file(osp.join(sequence, file_name.split('_')[0], file_name),
                       osp.join(root, split, 'img_all', file_name), copy)
            count += 1
    return count


def convert_split(root: str, split: str, gtfine: Optional[str] = None, nproc: int = 1) -> int:
    """Write the panoptic ground truth of one split; return the number of labelled frames."""
    from mmpanoptic.datasets import CityscapesVPSDataset
    from mmpanoptic.datasets.converters import coco_categories, read_json, run_tasks, write_json
    images = read_json(osp.join(root, f'panoptic_im_{split}_city_vps.json'), required=('images', ))['images']
    if not images:
        raise ValueError(f'{osp.join(root, f"panoptic_im_{split}_city_vps.json")}: empty "images" list')
    semantic_maps, instance_maps = find_maps(root, split, gtfine)
    convert = partial(convert_frame, root=root, split=split, semantic_maps=semantic_maps,
                      instance_maps=instance_maps, gtfine=gtfine)
    annotations = run_tasks(convert, images, nproc)
    write_json(osp.join(root, f'panoptic_gt_{split}_city_vps.json'),
               dict(images=images, annotations=annotations, categories=coco_categories(CityscapesVPSDataset.METAINFO)))
    return len(annotations)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='cityscapes_vps folder of the VPSNet release')
    parser.add_argument('--sequence', help='leftImg8bit_sequence/val of Cityscapes (omit if {split}/img exists)')
    parser.add_argument('--gtfine', help='gtFine/val of Cityscapes, for the maps of the original frames')
    parser.add_argument('--splits', nargs='+', default=['train', 'val'], choices=['train', 'val', 'test'])
    parser.add_argument('--copy', action='store_true', help='copy the frames instead of linking them')
    parser.add_argument('--nproc', type=int, default=1, help='worker processes')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    """Convert the splits; errors are raised (the command line prints user errors as one ``error:`` line)."""
    args = parse_args(argv)
    for split in args.splits:
        if args.sequence:
            print(f'{split}: placed {place_images(args.root, split, args.sequence, args.copy)} frames')
        if split != 'test':
            print(f'\n{split}: converted {convert_split(args.root, split, args.gtfine, args.nproc)} labelled frames')


if __name__ == '__main__':
    main_with_clear_errors(main)()
