"""Parameter-free instance masks from dense box predictions ("Real-Time Panoptic Segmentation from Dense
Detections", Hou et al., CVPR 2020), as tensor functions that run on any device.

The steps, for one image (:func:`query_boxes` then :func:`dense_box_map` and :func:`query_mask_scores`):

1. **Candidates per level.** A location is a candidate for class c if ``sigmoid(box_cls) > score_thr``; its
   score is ``sigmoid(box_cls) * sigmoid(centerness)``; the ``nms_pre`` best candidates of the level are
   kept. The box is the location minus/plus the regressed distances, clipped to ``[0, W - 1] x [0, H - 1]``.
2. **NMS.** Per-class NMS (mmcv's ``batched_nms``), then class-agnostic NMS at ``global_iou_thr`` (0.97);
   the ``max_per_img`` best are kept, ties with the last one included (the released code's ``kthvalue``).
3. **Dense box map** at stride 4: every level's distance map is resized bilinearly to the /4 grid and, at
   each pixel, the level of ``argmax`` over the levelness channels 1..L is taken (the background channel 0
   is ignored, so every pixel has a box). Without levelness, all L boxes of a pixel are kept and a query
   takes the best-matching one.
4. **Mask scores** ``M(x, y, j) = corr(B(x, y), B_j) * P_sem(x, y, c_j)``, where ``corr`` is the paper's IoU
   or the released code's smoothed GIoU (:func:`box_correlation`); the masks are ``M >= mask_thr`` after a
   bilinear x4 upsampling (:func:`upsample_masks`).

Memory is O(P * h * w / 16) for P queries at input size (h, w): the correlation runs on chunks of queries,
and the full-resolution masks are made (as bool) only for the queries that are pasted (see
:class:`~mmpanoptic.models.heads.RTPanoHead`). Host synchronisations happen only where sizes are
data-dependent: the candidates kept per level and mmcv's NMS; the mask construction (steps 3 and 4) has none.
There is no Python loop over classes; queries are visited in chunks of 16.
"""
from typing import NamedTuple, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.ops import batched_nms, nms
from torch import Tensor

CORRELATIONS = ('iou', 'smoothed_giou')


def level_points(size: Tuple[int, int], stride: int, device: torch.device) -> Tensor:
    """Image coordinates of the locations of a feature map.

    Args:
        size (tuple[int, int]): the map's (h, w).
        stride (int): its stride z; location (i, j) is at ``(j * z + z // 2, i * z + z // 2)``.

    Returns:
        Tensor: (h * w, 2) float (x, y), row-major.
    """
    h, w = size
    ys = torch.arange(h, device=device, dtype=torch.float32) * stride + stride // 2
    xs = torch.arange(w, device=device, dtype=torch.float32) * stride + stride // 2
    y, x = torch.meshgrid(ys, xs, indexing='ij')
    return torch.stack([x.reshape(-1), y.reshape(-1)], dim=1)


def distance_to_box(points: Tensor, distances: Tensor) -> Tensor:
    """Boxes (..., 4) x1y1x2y2 from points (..., 2) and distances (..., 4) (left, top, right, bottom)."""
    return torch.cat([points - distances[..., :2], points + distances[..., 2:]], dim=-1)


class QueryBoxes(NamedTuple):
    """The detections of one image after NMS: ``boxes`` (P, 4) x1y1x2y2 in input pixels, ``scores`` (P,),
    ``labels`` (P,) long thing labels, ``locations`` (P,) long flat index of each detection's location in
    the levels concatenated (level 0 first)."""
    boxes: Tensor
    scores: Tensor
    labels: Tensor
    locations: Tensor


def query_boxes(box_cls: Sequence[Tensor],
                box_reg: Sequence[Tensor],
                centerness: Sequence[Tensor],
                strides: Sequence[int],
                img_shape: Tuple[int, int],
                score_thr: float = 0.05,
                nms_pre: int = 1000,
                nms_iou_thr: float = 0.6,
                global_iou_thr: float = 0.97,
                max_per_img: int = 100) -> QueryBoxes:
    """Steps 1 and 2 of the module docstring for one image.

    Args:
        box_cls (list[Tensor]): per level class logits (C, h_i, w_i).
        box_reg (list[Tensor]): per level distances (4, h_i, w_i) in input pixels.
        centerness (list[Tensor]): per level centerness logits (1, h_i, w_i).
        strides (list[int]): per level stride.
        img_shape (tuple[int, int]): (H, W) of the image without padding; boxes are clipped to it.
        score_thr (float): class probability a candidate must exceed (before centerness). Defaults to 0.05.
        nms_pre (int): candidates kept per level, by score. Defaults to 1000.
        nms_iou_thr (float): IoU of the per-class NMS. Defaults to 0.6.
        global_iou_thr (float): IoU of the class-agnostic NMS. Defaults to 0.97.
        max_per_img (int): detections kept (ties with the last included); <= 0 keeps all. Defaults to 100.

    Returns:
        QueryBoxes: sorted by descending score.
    """
    boxes, scores, labels, locations = [], [], [], []
    offset = 0
    for cls, reg, ctr, stride in zip(box_cls, box_reg, centerness, strides):
        num_classes, h, w = cls.shape
        prob = cls.permute(1, 2, 0).reshape(-1).sigmoid()  # (h*w*C,), location-major
        score = prob * ctr.reshape(-1).sigmoid().repeat_interleave(num_classes)
        # The nms_pre best of all location-class pairs, the non-candidates ranked below every candidate: the
        # candidates among them are the nms_pre best candidates (the release's per-image count and topk).
        ranked = torch.where(prob > score_thr, score, score.new_full((), -1.0))
        top_score, top = ranked.topk(min(nms_pre, ranked.numel()))
        keep = top_score >= 0
        top, top_score = top[keep], top_score[keep]
        location = torch.div(top, num_classes, rounding_mode='floor')
        points = level_points((h, w), stride, cls.device)[location]
        distances = reg.permute(1, 2, 0).reshape(-1, 4)[location]
        box = distance_to_box(points, distances)
        box[:, 0::2] = box[:, 0::2].clamp(min=0, max=img_shape[1] - 1)
        box[:, 1::2] = box[:, 1::2].clamp(min=0, max=img_shape[0] - 1)
        boxes.append(box)
        scores.append(top_score)
        labels.append(top % num_classes)
        locations.append(location + offset)
        offset += h * w
    boxes, scores, labels, locations = (torch.cat(t) for t in (boxes, scores, labels, locations))
    if boxes.shape[0] == 0:
        return QueryBoxes(boxes, scores, labels, locations)
    _, keep = batched_nms(boxes, scores, labels, dict(type='nms', iou_threshold=nms_iou_thr))
    boxes, scores, labels, locations = boxes[keep], scores[keep], labels[keep], locations[keep]
    _, keep = nms(boxes, scores, global_iou_thr)
    boxes, scores, labels, locations = boxes[keep], scores[keep], labels[keep], locations[keep]
    if 0 < max_per_img < scores.numel():
        # Sorted by descending score: keep every detection scoring at least the max_per_img-th best.
        keep = scores >= scores[max_per_img - 1]
        boxes, scores, labels, locations = boxes[keep], scores[keep], labels[keep], locations[keep]
    return QueryBoxes(boxes, scores, labels, locations)


def dense_box_map(box_reg: Sequence[Tensor], levelness: Optional[Tensor], size: Tuple[int, int],
                  stride: int = 4) -> Tensor:
    """Step 3: the box of every pixel of the /4 grid.

    Args:
        box_reg (list[Tensor]): per level distances (B, 4, h_i, w_i).
        levelness (Tensor, optional): logits (B, L + 1, h, w), channel 0 background; None keeps every
            level's box.
        size (tuple[int, int]): the grid (h, w).
        stride (int): the grid's stride. Defaults to 4.

    Returns:
        Tensor: (B, h * w, 4) x1y1x2y2 with levelness, else (B, L, h * w, 4).
    """
    # (B, L, 4, h, w): every level's distances on the /4 grid.
    distances = torch.stack([F.interpolate(reg, size=size, mode='bilinear', align_corners=False) for reg in box_reg],
                            dim=1)
    if levelness is not None:
        level = levelness[:, 1:].argmax(dim=1)  # (B, h, w)
        index = level[:, None, None].expand(-1, 1, 4, -1, -1)
        distances = distances.gather(1, index)  # (B, 1, 4, h, w)
    points = level_points(size, stride, distances.device)
    boxes = distance_to_box(points, distances.flatten(3).transpose(2, 3))  # (B, L or 1, h*w, 4)
    return boxes[:, 0] if levelness is not None else boxes


def box_correlation(queries: Tensor, dense: Tensor, mode: str) -> Tensor:
    """How well each dense box matches each query box.

    ``'iou'`` (the paper): intersection over union, 0 for an empty union. ``'smoothed_giou'`` (the released
    code): ``(I + 1) / (U + 1) - (C - U) / C`` with ``C`` the enclosing area + 1e-7; it can be negative. Areas
    have no +1 pixel convention and intersection sides are clamped at 0.

    Args:
        queries (Tensor): (P, 4) x1y1x2y2.
        dense (Tensor): (..., Q, 4) x1y1x2y2.
        mode (str): one of :data:`CORRELATIONS`.

    Returns:
        Tensor: (..., P, Q).
    """
    if mode not in CORRELATIONS:
        raise ValueError(f'mask_score must be one of {CORRELATIONS}, got {mode!r}')
    q = queries[:, None, :]  # (P, 1, 4)
    d = dense.unsqueeze(-3)  # (..., 1, Q, 4)
    area_q = (q[..., 2] - q[..., 0]) * (q[..., 3] - q[..., 1])
    area_d = (d[..., 2] - d[..., 0]) * (d[..., 3] - d[..., 1])
    inter_w = (torch.minimum(q[..., 2], d[..., 2]) - torch.maximum(q[..., 0], d[..., 0])).clamp(min=0)
    inter_h = (torch.minimum(q[..., 3], d[..., 3]) - torch.maximum(q[..., 1], d[..., 1])).clamp(min=0)
    inter = inter_w * inter_h
    union = area_q + area_d - inter
    if mode == 'iou':
        return torch.where(union > 0, inter / union.clamp(min=1e-12), inter.new_zeros(()))
    enclose = (torch.maximum(q[..., 2], d[..., 2]) - torch.minimum(q[..., 0], d[..., 0])) * \
        (torch.maximum(q[..., 3], d[..., 3]) - torch.minimum(q[..., 1], d[..., 1])) + 1e-7
    return (inter + 1.0) / (union + 1.0) - (enclose - union) / enclose


def query_mask_scores(queries: QueryBoxes, dense_boxes: Tensor, semantic_probs: Tensor, mode: str,
                      chunk: int = 16) -> Tensor:
    """Step 4: ``M(x, y, j) = corr(B(x, y), B_j) * P_sem(x, y, c_j)`` of one image at the /4 grid.

    Args:
        queries (QueryBoxes): P detections.
        dense_boxes (Tensor): (h * w, 4), or (L, h * w, 4) without levelness (the best level is taken).
        semantic_probs (Tensor): (num_things, h, w) probabilities of the thing classes (of a softmax over
            all classes), in thing-label order.
        mode (str): the correlation, see :func:`box_correlation`.
        chunk (int): queries per step; bounds the (chunk, h * w) temporaries of the correlation, so that
            the peak memory stays close to that of the result. Defaults to 16.

    Returns:
        Tensor: (P, h, w).
    """
    size = semantic_probs.shape[-2:]
    scores = semantic_probs.new_empty((queries.boxes.shape[0], *size))
    for start in range(0, queries.boxes.shape[0], chunk):
        part = slice(start, start + chunk)
        corr = box_correlation(queries.boxes[part], dense_boxes, mode)
        if corr.dim() == 3:  # (L, p, Q): no levelness, the best matching level of each pixel
            corr = corr.max(dim=0).values
        scores[part] = corr.view(-1, *size) * semantic_probs[queries.labels[part]]
    return scores


def upsample_masks(scores: Tensor, padded_shape: Tuple[int, int], img_shape: Tuple[int, int],
                   ori_shape: Optional[Tuple[int, int]] = None, mask_thr: float = 0.4, chunk: int = 16) -> Tensor:
    """Step 4's masks: scores (P, h, w) at the /4 grid upsampled bilinearly to the padded input size, cropped
    to the image and, when ``ori_shape`` differs, resized bilinearly to it (the released code stops at the
    crop), then ``>= mask_thr``; ``chunk`` queries at a time (only the bool result is kept at full size).

    Returns:
        Tensor: bool (P, H, W) at ``ori_shape`` (else ``img_shape``).
    """
    out_shape = tuple(ori_shape or img_shape)
    masks = torch.zeros((scores.shape[0], *out_shape), dtype=torch.bool, device=scores.device)
    for start in range(0, scores.shape[0], chunk):
        full = F.interpolate(scores[None, start:start + chunk], size=padded_shape, mode='bilinear',
                             align_corners=False)
        full = full[..., :img_shape[0], :img_shape[1]]
        if out_shape != tuple(img_shape):
            full = F.interpolate(full, size=out_shape, mode='bilinear', align_corners=False)
        masks[start:start + chunk] = full[0] >= mask_thr
    return masks
