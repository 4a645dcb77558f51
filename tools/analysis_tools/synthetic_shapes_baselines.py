"""PQ of trivial and oracle-based baselines on a synthetic shapes image split (how hard the data is).

Baselines, each scored with mmdet's PQ code (panopticapi rules) against the split's ground truth:

* ``frequent-stuff``: every pixel is the stuff class with the most pixels in the split (a trivial model).
* ``stuff-oracle``: the exact stuff segments, no things (the most a model that ignores things can get).
* ``semantic-oracle-cc``: exact semantic classes, thing instances = 4-connected components of each thing
  class (what perfect semantic segmentation gets without separating touching or overlapping instances).

Example::

    python tools/analysis_tools/synthetic_shapes_baselines.py data/synthetic_shapes --split val
"""
import argparse
import json
import os.path as osp
import sys
import tempfile
from typing import TYPE_CHECKING, Callable, Dict, List

if TYPE_CHECKING:
    import numpy as np

# Every baseline overwrites ``ids`` (H, W) with its predicted segment ids, given the ground-truth category
# ids ``categories`` (H, W; 0 = VOID, 1..num_things are things), the split's most frequent stuff category
# and the number of thing categories, and returns {predicted segment id: category id}.


def frequent_stuff(ids: 'np.ndarray', categories: 'np.ndarray', frequent: int, num_things: int) -> Dict[int, int]:
    ids[:] = frequent
    return {frequent: frequent}


def stuff_oracle(ids: 'np.ndarray', categories: 'np.ndarray', frequent: int, num_things: int) -> Dict[int, int]:
    import numpy as np
    ids[categories <= num_things] = 0
    return {int(i): int(c) for i, c in zip(*np.unique(np.stack([ids, categories]).reshape(2, -1), axis=1))
            if i != 0}


def semantic_oracle_cc(ids: 'np.ndarray', categories: 'np.ndarray', frequent: int,
                       num_things: int) -> Dict[int, int]:
    import cv2
    import numpy as np
    segments = {}
    out = np.where(categories > num_things, categories, 0)
    for category in np.unique(categories):
        if category == 0:
            continue
        if category > num_things:
            segments[int(category)] = int(category)
            continue
        count, components = cv2.connectedComponents((categories == category).astype(np.uint8), connectivity=4)
        for k in range(1, count):
            segment_id = int(category) * 1000 + k
            out[components == k] = segment_id
            segments[segment_id] = int(category)
    ids[:] = out
    return segments


BASELINES: Dict[str, Callable] = {
    'frequent-stuff': frequent_stuff,
    'stuff-oracle': stuff_oracle,
    'semantic-oracle-cc': semantic_oracle_cc,
}


def evaluate(data_root: str, split: str) -> Dict[str, dict]:
    """PQ, SQ, RQ (in %) of every baseline, overall and for things and stuff."""
    import cv2
    import numpy as np
    from mmdet.evaluation.functional import pq_compute_single_core

    from mmpanoptic.datasets.synthetic_shapes_meta import THING_CLASSES
    from mmpanoptic.structures.panoptic_encoding import coco_ids, coco_rgb
    ann_file = osp.join(data_root, 'annotations', f'panoptic_{split}.json')
    gt_folder = osp.join(data_root, 'annotations', f'panoptic_{split}')
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'annotation file {ann_file} does not exist')
    with open(ann_file) as f:
        data = json.load(f)
    categories = {c['id']: c for c in data['categories']}
    areas: Dict[int, int] = {}
    for ann in data['annotations']:
        for s in ann['segments_info']:
            areas[s['category_id']] = areas.get(s['category_id'], 0) + s['area']
    frequent = max((c for c in areas if not categories[c]['isthing']), key=areas.get)
    results = {}
    for name, baseline in BASELINES.items():
        with tempfile.TemporaryDirectory() as pred_folder:
            pairs = []
            for ann in data['annotations']:
                path = osp.join(gt_folder, ann['file_name'])
                picture = cv2.imread(path, cv2.IMREAD_COLOR)
                if picture is None:
                    raise FileNotFoundError(f'cannot read panoptic PNG {path}')
                ids = coco_ids(picture[..., ::-1])
                semantic = np.zeros_like(ids)
                for segment in ann['segments_info']:
                    semantic[ids == segment['id']] = segment['category_id']
                segments = baseline(ids, semantic, frequent, len(THING_CLASSES))
                cv2.imwrite(osp.join(pred_folder, ann['file_name']), coco_rgb(ids)[..., ::-1])
                pred = dict(ann, segments_info=[dict(id=i, category_id=c) for i, c in segments.items()])
                pairs.append((ann, pred))
            stat = pq_compute_single_core(0, pairs, gt_folder, pred_folder, categories, print_log=False)
        results[name] = {
            group: {k: 100 * v for k, v in stat.pq_average(categories, isthing=isthing)[0].items() if k != 'n'}
            for group, isthing in (('all', None), ('things', True), ('stuff', False))
        }
    return results


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description='PQ of simple baselines on synthetic shapes data')
    parser.add_argument('data_root', help='folder written by tools/dataset_converters/synthetic_shapes.py')
    parser.add_argument('--split', default='val', choices=['train', 'val'])
    args = parser.parse_args(argv)
    try:
        results = evaluate(args.data_root, args.split)
    except (OSError, ValueError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    print(f'{"baseline":<20} {"PQ":>6} {"SQ":>6} {"RQ":>6} {"PQ_th":>6} {"PQ_st":>6}')
    for name, result in results.items():
        print(f'{name:<20} {result["all"]["pq"]:6.1f} {result["all"]["sq"]:6.1f} {result["all"]["rq"]:6.1f} '
              f'{result["things"]["pq"]:6.1f} {result["stuff"]["pq"]:6.1f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
