"""Evaluate a folder of COCO-panoptic predictions (PQ / SQ / RQ, panopticapi rules).

Example::

    python tools/analysis_tools/eval_panoptic.py \
        data/coco/annotations/panoptic_val2017.json data/coco/annotations/panoptic_val2017 \
        work_dirs/results.panoptic.json work_dirs/results.panoptic --out pq.json --nproc 8

``--out`` writes ``PQ, SQ, RQ, PQ_th, SQ_th, RQ_th, PQ_st, SQ_st, RQ_st`` (percent, like mmdet) and
``per_class`` ({class name: {PQ, SQ, RQ, TP, FP, FN, isthing}}). Predictions must cover exactly the
ground-truth images: a missing or extra prediction is an error naming the image, and so are the other input
problems listed in :mod:`mmpanoptic.evaluation.functional.folder_evaluation` (one ``error:`` line). A
progress bar is shown on a terminal.
"""
import argparse
import json

from mmpanoptic.cli import main_with_clear_errors
from mmpanoptic.errors import UserError


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='PQ of COCO-panoptic predictions against COCO-panoptic GT.')
    parser.add_argument('gt_json', help='ground-truth JSON')
    parser.add_argument('gt_dir', help='folder of ground-truth PNGs')
    parser.add_argument('pred_json', help='prediction JSON (category ids of the ground truth)')
    parser.add_argument('pred_dir', help='folder of predicted PNGs')
    parser.add_argument('--out', help='write the results to this JSON file')
    parser.add_argument('--nproc', type=int, default=8, help='number of processes (default 8)')
    args = parser.parse_args(argv)
    if args.nproc < 1:
        raise UserError(f'--nproc: {args.nproc} processes (give at least 1)')
    return args


@main_with_clear_errors
def main(argv=None) -> dict:
    args = parse_args(argv)
    from mmdet.evaluation.metrics.coco_panoptic_metric import parse_pq_results, print_panoptic_table

    from mmpanoptic.evaluation.functional import evaluate_panoptic_folder
    stats, categories = evaluate_panoptic_folder(args.gt_json, args.gt_dir, args.pred_json, args.pred_dir,
                                                 nproc=args.nproc, show_progress=True)
    summary = stats.summary(categories.thing_mask, context='PQ')
    per_class = summary['per_class']
    classwise = {
        name: {key: float(per_class[key][label]) for key in ('pq', 'sq', 'rq')}
        for label, name in enumerate(categories.names)
    }
    print_panoptic_table(summary, classwise)
    results = parse_pq_results(summary)
    results['per_class'] = {
        name: dict(PQ=100 * float(per_class['pq'][label]), SQ=100 * float(per_class['sq'][label]),
                   RQ=100 * float(per_class['rq'][label]), TP=int(per_class['tp'][label]),
                   FP=int(per_class['fp'][label]), FN=int(per_class['fn'][label]),
                   isthing=bool(categories.thing_mask[label]))
        for label, name in enumerate(categories.names)
    }
    results['n'] = {name: summary[name]['n'] for name in ('All', 'Things', 'Stuff')}
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
        print(f'Results written to {args.out}')
    return results


if __name__ == '__main__':
    main()
