"""Generate the built-in "synthetic shapes" panoptic dataset (image: COCO panoptic; video: KITTI-STEP).

Examples::

    python tools/dataset_converters/synthetic_shapes.py data/synthetic_shapes
    python tools/dataset_converters/synthetic_shapes.py data/synthetic_shapes_video --video --num-frames 12
"""
import argparse
import inspect
import sys

# The defaults of generate_image_dataset and generate_video_dataset, for --help without importing the generator
# (tests/test_tools/test_help.py checks that they are the generator's). The defaults used are read from the
# generator's signature.
HELP_DEFAULTS = dict(image=dict(num_train=1000, num_val=100, size=(64, 64)),
                     video=dict(num_train=8, num_val=2, size=(64, 96), num_frames=10))


def parse_args(argv=None) -> argparse.Namespace:

    def both(name: str) -> str:
        return f'(default: {HELP_DEFAULTS["image"][name]} for images, {HELP_DEFAULTS["video"][name]} for video)'

    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out_dir', help='output folder (created; must be empty unless --overwrite or --reuse)')
    parser.add_argument('--video', action='store_true', help='write the video dataset (KITTI-STEP layout)')
    parser.add_argument('--seed', type=int, default=0, help='random seed (default: 0)')
    parser.add_argument('--num-train', type=int, help=f'training images or sequences {both("num_train")}')
    parser.add_argument('--num-val', type=int, help=f'validation images or sequences {both("num_val")}')
    parser.add_argument('--size', type=int, nargs=2, metavar=('H', 'W'), help=f'picture size {both("size")}')
    parser.add_argument(
        '--num-frames', type=int,
        help=f'frames per sequence, with --video (default: {HELP_DEFAULTS["video"]["num_frames"]})')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace a dataset this generator wrote earlier in OUT_DIR')
    parser.add_argument('--reuse', action='store_true',
                        help='do nothing if OUT_DIR already holds a dataset generated with the same arguments')
    args = parser.parse_args(argv)
    if args.num_frames is not None and not args.video:
        parser.error('--num-frames needs --video')
    return args


def main(argv=None) -> int:
    """Generate the dataset; a bad request prints one ``error:`` line and returns 2."""
    args = parse_args(argv)
    from mmpanoptic.cli import progress
    from mmpanoptic.datasets.synthetic_shapes import (generate_image_dataset, generate_video_dataset,
                                                      generation_request, read_generation_request)
    generate = generate_video_dataset if args.video else generate_image_dataset
    defaults = inspect.signature(generate).parameters
    kwargs = {
        name: getattr(args, name) if getattr(args, name) is not None else defaults[name].default
        for name in defaults if name in ('seed', 'num_train', 'num_val', 'size', 'num_frames')
    }
    try:
        request = generation_request('video' if args.video else 'image', **kwargs)
        if args.reuse and read_generation_request(args.out_dir) == request:
            print(f'synthetic shapes {request["kind"]} dataset in {args.out_dir} is up to date; kept')
            return 0
        summary = generate(args.out_dir, overwrite=args.overwrite, progress=progress, **kwargs)
    except (ValueError, TypeError, OSError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    print(f'synthetic shapes {request["kind"]} dataset written to {args.out_dir}')
    print('  request: ' + ', '.join(f'{k}={v}' for k, v in request.items() if k != 'kind'))
    print('  written: ' + ', '.join(f'{k}={v}' for k, v in summary.items()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
