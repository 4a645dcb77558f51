"""Evaluate folders of video panoptic predictions: VPQ (per-dataset windows) and STQ.

Examples::

    # KITTI-STEP: GT_DIR/<seq>/<frame>.png and PRED_DIR/<seq>/<frame>.png, both in STEP encoding
    # (R = class, 255 = void; G * 256 + B = track id)
    python tools/analysis_tools/eval_video_panoptic.py data/kitti-step/panoptic_maps/val preds \
        --format kitti-step --num-classes 19 --things 11 13 --windows 1 2 3 4 --out results.json

    # Cityscapes-VPS: VPSNet submission PRED_DIR/pred.json + PRED_DIR/pan_pred/<image_id>.png
    python tools/analysis_tools/eval_video_panoptic.py data/cityscapes_vps/val/panoptic_video preds \
        --format cityscapes-vps --gt-json data/cityscapes_vps/panoptic_gt_val_city_vps.json

    # VIPSeg: PRED_DIR/pred.json (video JSON) + PRED_DIR/pan_pred/<video>/<frame>.png
    python tools/analysis_tools/eval_video_panoptic.py data/VIPSeg_720P/panomasksRGB preds \
        --format vipseg --gt-json data/VIPSeg_720P/panoptic_gt_VIPSeg_val.json

Conventions (``shared/specs/metrics.md``): KITTI-STEP uses convention B (no crowd rule; a thing region
without instance id is an ordinary segment), the COCO-format datasets convention A (panopticapi crowd
rule). The class mean is over present classes (tp + fp + fn > 0) unless ``--class-mean all`` (the STEP
scripts' convention: every class, absent ones count 0). ``--out`` writes ``STQ, AQ, SQ, VPQ, VPQ_th,
VPQ_st`` (percent), ``VPQ_per_window`` (window size -> percent) and the settings used. Every sequence and
frame of the ground truth must have a prediction and vice versa.
"""
import argparse
import json
import sys

from mmpanoptic.evaluation.functional import (CLASS_MEANS, DATASET_WINDOWS, VIDEO_FORMATS, evaluate_video_sequences,
                                              video_folder_histograms)
from mmpanoptic.evaluation.metrics.video_panoptic_metric import format_video_results


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='VPQ and STQ of folders of video panoptic predictions.')
    parser.add_argument('gt_dir', help='ground-truth folder')
    parser.add_argument('pred_dir', help='prediction folder')
    parser.add_argument('--format', required=True, choices=VIDEO_FORMATS, help='dataset layout and encoding')
    parser.add_argument('--gt-json', help='ground-truth JSON (cityscapes-vps, vipseg)')
    parser.add_argument('--num-classes', type=int, default=19, help='number of classes (kitti-step; default 19)')
    parser.add_argument('--things', type=int, nargs='+', help='thing classes (kitti-step; default 11 13)')
    parser.add_argument('--windows', type=int, nargs='+', help='VPQ window lengths (default: the dataset set)')
    parser.add_argument('--class-mean', default='present', choices=CLASS_MEANS, help='VPQ class mean')
    parser.add_argument('--crowd-rule', choices=('on', 'off'),
                        help='VPQ crowd rule (default: off for kitti-step, on otherwise)')
    parser.add_argument('--metrics', nargs='+', default=['VPQ', 'STQ'], choices=('VPQ', 'STQ'))
    parser.add_argument('--stq-drop-void-predictions', action='store_true',
                        help="Video K-Net's STQ variant: GT-void pixels removed from predicted tracks")
    parser.add_argument('--nproc', type=int, default=8, help='number of processes (default 8)')
    parser.add_argument('--out', help='write the results to this JSON file')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    things = args.things if args.things is not None else [11, 13]
    sequences, num_classes, thing_classes = video_folder_histograms(
        args.format, args.gt_dir, args.pred_dir, gt_json=args.gt_json, num_classes=args.num_classes,
        thing_classes=things, nproc=args.nproc)
    crowd_rule = args.format != 'kitti-step' if args.crowd_rule is None else args.crowd_rule == 'on'
    windows = args.windows or DATASET_WINDOWS[args.format]
    results = evaluate_video_sequences(sequences, num_classes, thing_classes, args.metrics, windows, crowd_rule,
                                       args.class_mean, args.stq_drop_void_predictions)
    results.update(format=args.format, windows=list(windows), thing_classes=list(thing_classes),
                   num_frames=sum(len(frames) for frames in sequences.values()))
    print(format_video_results(results))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
        print(f'Results written to {args.out}')
    return results


if __name__ == '__main__':
    try:
        main()
    except (ValueError, FileNotFoundError) as error:
        sys.exit(f'error: {error}')
