"""Check a Mapillary Vistas v1.2 download against what ``MapillaryVistasPanopticDataset`` reads.

Usage::

    python tools/dataset_converters/mapillary_vistas.py data/mapillary_vistas [--splits training validation] [--decode]

The v1.2 release already ships COCO-panoptic files, so nothing is converted: the panoptic layer is used
as released (``{split}/images/<id>.jpg``, ``{split}/panoptic/panoptic_2018.json``,
``{split}/panoptic/<id>.png``) and the semantic maps are derived from it while loading. This command
checks, per split, that the annotation file is the v1.2 one (65 categories with the dataset's
thing/stuff split; a v2.0 file is rejected), that every image has an annotation with known category ids,
and that every image and PNG exists with the size of its entry. ``--decode`` also reads every PNG and
checks that each segment id of the PNG is listed in the annotation (slow: about 20,000 large PNGs).
The first problem raises an error naming the file.
"""
import argparse
import os.path as osp

from mmpanoptic.cli import main_with_clear_errors

SPLITS = ('training', 'validation')


def check_split(root: str, split: str, decode: bool = False) -> dict:
    """Check one split; return the counts of :func:`~mmpanoptic.datasets.converters.check_panoptic_files`."""
    from mmengine.registry import init_default_scope

    from mmpanoptic.datasets import MapillaryVistasPanopticDataset
    from mmpanoptic.datasets.converters import check_panoptic_files, read_json
    ann_file = osp.join(root, split, 'panoptic', 'panoptic_2018.json')
    categories = read_json(ann_file, required=('images', 'annotations', 'categories'))['categories']
    expected = len(MapillaryVistasPanopticDataset.METAINFO['classes'])
    if len(categories) != expected:
        raise ValueError(f'{ann_file}: {len(categories)} categories, but Mapillary Vistas v1.2 has {expected} '
                         '(v2.0 has 124 and is not supported)')
    init_default_scope('mmpanoptic')
    dataset = MapillaryVistasPanopticDataset(
        data_root=root, ann_file=osp.join(split, 'panoptic', 'panoptic_2018.json'),
        data_prefix=dict(img=osp.join(split, 'images'), seg=osp.join(split, 'panoptic')), test_mode=True)
    return check_panoptic_files(dataset, decode=decode)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='mapillary_vistas folder holding training/ and validation/')
    parser.add_argument('--splits', nargs='+', default=list(SPLITS), choices=list(SPLITS))
    parser.add_argument('--decode', action='store_true', help='also decode every panoptic PNG')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    """Check the splits; errors are raised (the command line prints user errors as one ``error:`` line)."""
    args = parse_args(argv)
    for split in args.splits:
        counts = check_split(args.root, split, args.decode)
        print(f'{split}: OK, {counts["images"]} images, {counts["annotations"]} annotations, '
              f'{counts["segments"]} segments')


if __name__ == '__main__':
    main_with_clear_errors(main)()
