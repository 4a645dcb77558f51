"""Draw the ground truth of a dataset after its pipeline, for image and video datasets.

Usage::

    python tools/misc/browse_dataset.py CONFIG [--output-dir D] [--not-show] [--show-interval S]
        [--max-samples N] [--phase train|val|test] [--no-captions] [--cfg-options k=v ...]

Image datasets are drawn by the config's visualizer (``PanopticLocalVisualizer`` by default: the image
and, beside it, its ground truth) and written as ``D/<image stem>.png``. Video datasets are
visited frame by frame in sequence order (in training, each sample is a key frame with its reference
frames); every frame of a sample is drawn with :func:`~mmpanoptic.visualization.draw_panoptic_gt`, which
gives each track id the same colour in every frame, and written as
``D/<video id>/<sample %05d>_<frame id %06d>.png``. Without ``--not-show`` the drawings are also shown.
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction

from mmpanoptic.cli import load_config, main_with_clear_errors, progress
from mmpanoptic.errors import ConfigError, DataError, UserError


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Draw the ground truth of a dataset after its pipeline')
    parser.add_argument('config', help='config file')
    parser.add_argument('--output-dir', help='folder for the drawings (needed without a display)')
    parser.add_argument('--not-show', action='store_true', help='do not show the drawings')
    parser.add_argument('--show-interval', type=float, default=2, help='seconds each drawing is shown')
    parser.add_argument('--max-samples', type=int, help='stop after this many samples')
    parser.add_argument('--no-captions', action='store_true', help='no class/id captions on video frames')
    parser.add_argument('--phase', default='train', choices=['train', 'val', 'test'],
                        help='which dataloader\'s dataset (and pipeline) to browse')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings, k=v')
    args = parser.parse_args(argv)
    if args.not_show and not args.output_dir:
        raise UserError('--not-show: without --output-dir nothing would be drawn (give --output-dir D)')
    return args


def sample_indices(dataset) -> list:
    """Image indices, or ``(video, frame)`` pairs of every frame of a video dataset in sequence order."""
    if hasattr(dataset, 'get_len_per_video'):
        return [(video, frame) for video in range(len(dataset)) for frame in range(dataset.get_len_per_video(video))]
    return list(range(len(dataset)))


def draw_image(visualizer, item: dict, out_dir: str, show: bool, wait_time: float) -> None:
    """Draw one packed image sample (``image | ground truth``) with the visualizer."""
    data_sample = item['data_samples']
    stem = osp.splitext(osp.basename(data_sample.img_path))[0]
    visualizer.add_datasample(
        stem, item['inputs'].permute(1, 2, 0).numpy()[..., ::-1], data_sample, draw_pred=False, show=show,
        wait_time=wait_time, out_file=osp.join(out_dir, f'{stem}.png') if out_dir else None)


def draw_clip(visualizer, item: dict, sample_idx: int, out_dir: str, show: bool, wait_time: float,
              captions: bool) -> int:
    """Draw every frame of one packed video sample; return the number of frames."""
    import mmcv
    from mmdet.models.utils import mask2ndarray

    from mmpanoptic.visualization import draw_panoptic_gt
    meta = visualizer.dataset_meta
    frames = item['data_samples'].video_data_samples
    for image, frame in zip(item['inputs'], frames):
        if 'gt_sem_seg' not in frame:
            raise DataError(f'{frame.img_path}: the sample has no ground truth (seg_map_path is None) to draw '
                            '(browse a phase with annotations)')
        instances = frame.gt_instances
        drawing = draw_panoptic_gt(
            image.permute(1, 2, 0).numpy()[..., ::-1], frame.gt_sem_seg.sem_seg[0].numpy(),
            mask2ndarray(instances.masks), instances.labels.tolist(), instances.instances_ids.tolist(),
            meta['classes'], meta['palette'], captions=captions)
        name = f'{frame.video_id}/{sample_idx:05d}_{int(frame.frame_id):06d}.png'
        if out_dir:
            mmcv.imwrite(drawing[..., ::-1], osp.join(out_dir, name))
        if show:
            visualizer.show(drawing, win_name=name, wait_time=wait_time)
    return len(frames)


@main_with_clear_errors
def main(argv=None) -> None:
    args = parse_args(argv)
    from mmdet.structures import TrackDataSample

    from mmpanoptic.registry import DATASETS, VISUALIZERS
    from mmpanoptic.utils import register_all_modules
    cfg = load_config(args.config, args.cfg_options)
    register_all_modules()
    loader_key = f'{args.phase}_dataloader'
    if loader_key not in cfg:
        raise ConfigError(f'{args.config}: {loader_key}: missing (choose another --phase, or add it to the '
                          'config)')
    dataset = DATASETS.build(cfg[loader_key].dataset)
    visualizer = VISUALIZERS.build(cfg.get('visualizer', dict(type='PanopticLocalVisualizer', name='browse_dataset')))
    visualizer.dataset_meta = dataset.metainfo
    indices = sample_indices(dataset)[:args.max_samples]
    if args.output_dir:
        os.makedirs(args.output_dir, exist_ok=True)
    pictures = 0
    for sample_idx, index in enumerate(progress(indices)):
        item = dataset[index]
        if isinstance(item['data_samples'], TrackDataSample):
            pictures += draw_clip(visualizer, item, sample_idx, args.output_dir, not args.not_show,
                                  args.show_interval, not args.no_captions)
        else:
            draw_image(visualizer, item, args.output_dir, not args.not_show, args.show_interval)
            pictures += 1
    print(f'drew {pictures} pictures of {len(indices)} samples' +
          (f' into {args.output_dir}' if args.output_dir else ''))


if __name__ == '__main__':
    main()
