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
frame of the ground truth must have a prediction and vice versa. Flags that contradict each other or that
the chosen format or metrics would ignore stop with one ``error: --flag: ...`` line before any file is read;
a progress bar is shown on a terminal.
"""
import argparse
import json

from mmpanoptic.cli import main_with_clear_errors
from mmpanoptic.errors import UserError

# mmpanoptic.evaluation.functional's VIDEO_FORMATS and CLASS_MEANS, spelt here so that --help needs no heavy
# import (tests/test_tools/test_help.py checks that they agree).
VIDEO_FORMATS = ('kitti-step', 'cityscapes-vps', 'vipseg')
CLASS_MEANS = ('present', 'all')
KITTI_STEP_NUM_CLASSES = 19
KITTI_STEP_THINGS = (11, 13)


def check_flags(args: argparse.Namespace) -> None:
    """Raise :class:`UserError` ``--flag: problem (what to do)`` for inconsistent or ignored flags; fill in the
    KITTI-STEP defaults of ``num_classes`` and ``things``."""
    if args.nproc < 1:
        raise UserError(f'--nproc: {args.nproc} processes (give at least 1)')
    if args.format == 'kitti-step':
        if args.gt_json is not None:
            raise UserError('--gt-json: kitti-step reads no JSON (the classes come from --num-classes and --things; '
                            'leave --gt-json out)')
        if args.num_classes is None:
            args.num_classes = KITTI_STEP_NUM_CLASSES
        if args.num_classes < 1:
            raise UserError(f'--num-classes: {args.num_classes} (give the number of classes, at least 1)')
        given = args.things is not None
        if not given:
            args.things = list(KITTI_STEP_THINGS)
        outside = [c for c in args.things if not 0 <= c < args.num_classes]
        if outside:
            what = f'thing classes {outside}' if given else f"KITTI-STEP's default thing classes {outside}"
            raise UserError(f'--things: {what} are not among the {args.num_classes} classes 0..{args.num_classes - 1} '
                            'of --num-classes (give thing classes below --num-classes)')
        if len(set(args.things)) != len(args.things):
            raise UserError(f'--things: {args.things} lists a class twice (give each thing class once)')
    else:
        for flag, value in (('--num-classes', args.num_classes), ('--things', args.things)):
            if value is not None:
                raise UserError(f'{flag}: only used with --format kitti-step (the classes of {args.format} come '
                                'from the categories of --gt-json; leave it out)')
        if args.gt_json is None:
            raise UserError(f'--gt-json: required with --format {args.format} (give the ground-truth JSON)')
    if 'VPQ' in args.metrics:
        bad = [k for k in args.windows or () if k < 1]
        if bad:
            raise UserError(f'--windows: window lengths {bad} (give lengths of at least 1 frame)')
    else:
        for flag, value in (('--windows', args.windows), ('--class-mean', args.class_mean),
                            ('--crowd-rule', args.crowd_rule)):
            if value is not None:
                raise UserError(f'{flag}: only used by VPQ, which --metrics {" ".join(args.metrics)} does not compute '
                                '(add VPQ to --metrics, or leave it out)')
    if args.stq_drop_void_predictions and 'STQ' not in args.metrics:
        raise UserError(f'--stq-drop-void-predictions: only used by STQ, which --metrics {" ".join(args.metrics)} '
                        'does not compute (add STQ to --metrics, or leave it out)')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='VPQ and STQ of folders of video panoptic predictions.')
    parser.add_argument('gt_dir', help='ground-truth folder')
    parser.add_argument('pred_dir', help='prediction folder')
    parser.add_argument('--format', required=True, choices=VIDEO_FORMATS, help='dataset layout and encoding')
    parser.add_argument('--gt-json', help='ground-truth JSON (cityscapes-vps, vipseg)')
    parser.add_argument('--num-classes', type=int,
                        help=f'number of classes (kitti-step only; default {KITTI_STEP_NUM_CLASSES})')
    parser.add_argument('--things', type=int, nargs='+',
                        help='thing classes, below --num-classes (kitti-step only; default '
                        f'{" ".join(map(str, KITTI_STEP_THINGS))})')
    parser.add_argument('--windows', type=int, nargs='+', help='VPQ window lengths (default: the dataset set)')
    parser.add_argument('--class-mean', choices=CLASS_MEANS, help='VPQ class mean (default: present)')
    parser.add_argument('--crowd-rule', choices=('on', 'off'),
                        help='VPQ crowd rule (default: off for kitti-step, on otherwise)')
    parser.add_argument('--metrics', nargs='+', default=['VPQ', 'STQ'], choices=('VPQ', 'STQ'))
    parser.add_argument('--stq-drop-void-predictions', action='store_true',
                        help="Video K-Net's STQ variant: GT-void pixels removed from predicted tracks")
    parser.add_argument('--nproc', type=int, default=8, help='number of processes (default 8)')
    parser.add_argument('--out', help='write the results to this JSON file')
    args = parser.parse_args(argv)
    check_flags(args)
    return args


@main_with_clear_errors
def main(argv=None) -> dict:
    args = parse_args(argv)
    from mmpanoptic.evaluation.functional import DATASET_WINDOWS, evaluate_video_sequences, video_folder_histograms
    from mmpanoptic.evaluation.metrics.video_panoptic_metric import format_video_results
    sequences, num_classes, thing_classes = video_folder_histograms(
        args.format, args.gt_dir, args.pred_dir, gt_json=args.gt_json, num_classes=args.num_classes,
        thing_classes=args.things, nproc=args.nproc, show_progress=True)
    crowd_rule = args.format != 'kitti-step' if args.crowd_rule is None else args.crowd_rule == 'on'
    windows = args.windows or DATASET_WINDOWS[args.format]
    results = evaluate_video_sequences(sequences, num_classes, thing_classes, args.metrics, windows, crowd_rule,
                                       args.class_mean or 'present', args.stq_drop_void_predictions)
    results.update(format=args.format, windows=list(windows), thing_classes=list(thing_classes),
                   num_frames=sum(len(frames) for frames in sequences.values()))
    print(format_video_results(results))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
        print(f'Results written to {args.out}')
    return results


if __name__ == '__main__':
    main()
