"""Targets of the dense-detection panoptic head (RT-PanoNet): FCOS-style location targets assigned from
instance masks, and the levelness map at stride 4.

The paper's rule (Hou et al., CVPR 2020, Sec. 3): a location of level i is foreground when its image point
lies inside a ground-truth instance *mask* (masks do not overlap, so it has one instance) and the largest of
its box distances ``(l, t, r, b)`` lies in ``regress_ranges[i]`` (both bounds included). The ranges are not
given by the paper; the defaults are FCOS's (unverified for this method). The weakly supervised variant
(``assign='box'``) uses the boxes instead: a location inside several boxes goes to the smallest.

The levelness target of a /4 pixel is the level (1..L) that the same rule assigns at that pixel, 0 for
background. Locations in padding, and background locations on crowd regions (thing pixels of the semantic
map that no instance covers), are ignored.
"""
from typing import List, NamedTuple, Sequence, Tuple

import torch
from torch import Tensor

from .panoptic_targets import _padded

INF = 1e8
# FCOS's size ranges (distances in input pixels) for the levels of strides 8..128.
FCOS_RANGES = ((-1, 64), (64, 128), (128, 256), (256, 512), (512, INF))
ASSIGN_MODES = ('mask', 'box')


class ImageGT(NamedTuple):
    """One image's ground truth at the padded input size: ``masks`` (G, H, W) bool, ``boxes`` (G, 4)
    x1y1x2y2 (x2, y2 exclusive, as mmdet's mask boxes), ``labels`` (G,) long thing labels, ``crowd``
    (H, W) bool, ``valid`` (H, W) bool (inside the image, not padding)."""
    masks: Tensor
    boxes: Tensor
    labels: Tensor
    crowd: Tensor
    valid: Tensor


class LocationTargets(NamedTuple):
    """Targets of N points of one image: ``labels`` (N,) long (thing label; ``num_things`` background; -1
    ignored), ``distances`` (N, 4) (l, t, r, b; meaningful where foreground), ``centerness`` (N,),
    ``instance`` (N,) long index of the assigned instance (-1 none), ``level`` (N,) long level 1..L that
    the size rule gives (0 where no instance)."""
    labels: Tensor
    distances: Tensor
    centerness: Tensor
    instance: Tensor
    level: Tensor


def image_gt(sample, num_things: int, ignore_index: int = 255) -> ImageGT:
    """:class:`ImageGT` of a data sample with ``gt_instances`` (``labels``, ``masks``, ``bboxes``) and
    ``gt_sem_seg`` (crowd regions: thing classes that no instance covers), padded to ``batch_input_shape``."""
    shape = tuple(sample.metainfo['batch_input_shape'])
    img_h, img_w = sample.metainfo['img_shape'][:2]
    gt = sample.gt_instances
    sem = sample.gt_sem_seg.sem_seg.long()[0]
    device = sem.device
    masks = gt.masks.to_tensor(torch.bool, device) if hasattr(gt.masks, 'to_tensor') else gt.masks.bool()
    masks = _padded(masks.to(torch.uint8), shape, 0).bool()
    boxes = gt.bboxes.tensor if hasattr(gt.bboxes, 'tensor') else gt.bboxes
    covered = masks.any(0)
    sem = _padded(sem, shape, ignore_index)
    crowd = (sem < num_things) & ~covered
    valid = torch.zeros(shape, dtype=torch.bool, device=device)
    valid[:img_h, :img_w] = True
    return ImageGT(masks, boxes.float().to(device), gt.labels.long().to(device), crowd, valid)


def point_owner(points: Tensor, gt: ImageGT, assign: str) -> Tensor:
    """Index (N,) of the instance each point (N, 2) belongs to by ``assign``, -1 for none."""
    num = gt.labels.numel()
    if num == 0:
        return points.new_full((points.shape[0], ), -1, dtype=torch.long)
    if assign == 'mask':
        px, py = points[:, 0].long(), points[:, 1].long()
        inside = gt.masks[:, py, px]  # (G, N)
        return torch.where(inside.any(0), inside.float().argmax(0), -1)
    if assign == 'box':
        x, y = points[:, 0:1], points[:, 1:2]
        b = gt.boxes[None]  # (1, G, 4)
        inside = (x >= b[..., 0]) & (y >= b[..., 1]) & (x < b[..., 2]) & (y < b[..., 3])  # (N, G), pixels in the box
        area = ((b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])).expand_as(inside)
        area = torch.where(inside, area, area.new_full((), INF * INF))
        return torch.where(inside.any(1), area.argmin(1), -1)
    raise ValueError(f'assign must be one of {ASSIGN_MODES}, got {assign!r}')


def location_targets(points: Tensor, ranges: Tensor, point_level: Tensor, gt: ImageGT, num_things: int,
                     assign: str = 'mask') -> LocationTargets:
    """Targets of the points of all levels (or of the /4 grid) of one image.

    Args:
        points (Tensor): (N, 2) x, y image coordinates.
        ranges (Tensor): (L, 2) size range of each level.
        point_level (Tensor): (N,) long level index (0-based) of each point, or -1 for points that may take
            any level (the /4 grid: their target level is computed, their labels are not restricted).
        gt (ImageGT): the image's ground truth.
        num_things (int): background label.
        assign (str): ``'mask'`` (the paper) or ``'box'`` (weakly supervised).

    Returns:
        LocationTargets: see its docstring.
    """
    owner = point_owner(points, gt, assign)
    has = owner >= 0
    box = gt.boxes[owner.clamp(min=0)] if gt.labels.numel() else points.new_zeros((points.shape[0], 4))
    distances = torch.cat([points - box[:, :2], box[:, 2:] - points], dim=1)
    largest = distances.max(dim=1).values
    fits = (largest[:, None] >= ranges[:, 0]) & (largest[:, None] <= ranges[:, 1])  # (N, L)
    level = torch.where(has & fits.any(1), fits.float().argmax(1) + 1, 0)
    own_level = fits.gather(1, point_level.clamp(min=0)[:, None])[:, 0] | (point_level < 0)
    fg = has & own_level & (level > 0)
    px, py = points[:, 0].long(), points[:, 1].long()
    ignored = ~gt.valid[py, px] | (gt.crowd[py, px] & ~fg)
    labels = torch.where(fg, gt.labels[owner.clamp(min=0)] if gt.labels.numel() else owner, num_things)
    labels = torch.where(ignored, -1, labels)
    lr, tb = distances[:, 0::2], distances[:, 1::2]
    centerness = torch.sqrt((lr.min(1).values / lr.max(1).values.clamp(min=1e-6)).clamp(min=0) *
                            (tb.min(1).values / tb.max(1).values.clamp(min=1e-6)).clamp(min=0))
    return LocationTargets(labels, distances, torch.where(fg, centerness, 0.0), torch.where(fg, owner, -1),
                           torch.where(fg, level, 0))


def level_ranges(regress_ranges: Sequence[Tuple[float, float]], device: torch.device) -> Tensor:
    """The size ranges as an (L, 2) tensor."""
    return torch.tensor(regress_ranges, dtype=torch.float32, device=device)


def levelness_target(grid_targets: LocationTargets, size: Tuple[int, int], ignore_index: int = 255) -> Tensor:
    """The /4 levelness map (h, w) long from the /4 grid's targets: level 1..L, 0 background, ignored where
    the grid point is ignored."""
    level = torch.where(grid_targets.labels < 0, ignore_index, grid_targets.level)
    return level.view(size)


def stack_levels(per_level: List[Tensor]) -> Tensor:
    """(B, C, h_i, w_i) maps of every level as one (B, sum_i h_i w_i, C) tensor, level 0 first."""
    return torch.cat([t.flatten(2).transpose(1, 2) for t in per_level], dim=1)
