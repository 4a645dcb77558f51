"""Ground truth of the kernel-based panoptic heads at the resolution of the mask predictions."""
from typing import List, Tuple

import torch
import torch.nn.functional as F
from mmdet.structures import SampleList
from mmengine.structures import InstanceData
from torch import Tensor


def _padded(tensor: Tensor, size: Tuple[int, int], value: float) -> Tensor:
    pad_h, pad_w = size[0] - tensor.shape[-2], size[1] - tensor.shape[-1]
    if pad_h < 0 or pad_w < 0:
        raise ValueError(f'ground truth of size {tuple(tensor.shape[-2:])} is larger than the batch '
                         f'input {tuple(size)}')
    return F.pad(tensor, (0, pad_w, 0, pad_h), value=value)


def panoptic_gt_at(batch_data_samples: SampleList, size: Tuple[int, int], num_things_classes: int,
                   num_classes: int, ignore_index: int = 255) -> Tuple[List[InstanceData], List[Tensor], Tensor]:
    """Thing masks, per-class stuff masks and the semantic map of each image, resized to ``size``.

    Masks and semantic maps are padded to the batch input shape first (zeros / ``ignore_index``), then the
    masks are resized bilinearly (soft values) and the semantic map with nearest neighbour.

    Args:
        batch_data_samples (list[DetDataSample]): with ``gt_instances`` (thing ``labels`` and ``masks``) and
            ``gt_sem_seg`` (labels of all classes, things first; ``ignore_index`` for void).
        size (tuple[int, int]): target (H, W), the size of the upsampled mask predictions.
        num_things_classes (int): number of thing classes.
        num_classes (int): number of classes.
        ignore_index (int): void label of the semantic map. Defaults to 255.

    Returns:
        tuple: per image ``InstanceData(labels (K,), masks (K, H, W) float)`` of the things; per image
        stuff masks (num_classes - num_things_classes, H, W) float (zero for absent classes); semantic
        labels (B, H, W) long, ``ignore_index`` where void.
    """
    things, stuff, semantic = [], [], []
    for sample in batch_data_samples:
        batch_shape = tuple(sample.metainfo['batch_input_shape'])
        if 'gt_sem_seg' not in sample:
            raise ValueError(f'image {sample.metainfo.get("img_path")} has no gt_sem_seg; load the panoptic '
                             'annotations with LoadPanopticAnnotations(with_seg=True)')
        sem = sample.gt_sem_seg.sem_seg.long()
        device = sem.device
        sem = _padded(sem, batch_shape, ignore_index)[0]
        gt = sample.gt_instances
        masks = gt.masks.to_tensor(torch.float32, device) if hasattr(gt.masks, 'to_tensor') else gt.masks.float()
        labels = gt.labels.long().to(device)
        if labels.numel() and int(labels.max()) >= num_things_classes:
            raise ValueError(f'image {sample.metainfo.get("img_path")}: gt_instances hold label '
                             f'{int(labels.max())}, but only {num_things_classes} thing classes exist')
        masks = _padded(masks, batch_shape, 0)
        stuff_ids = torch.arange(num_things_classes, num_classes, device=device)
        stuff_masks = (sem[None] == stuff_ids[:, None, None]).float()
        both = torch.cat([masks, stuff_masks])[None]
        both = F.interpolate(both, size, mode='bilinear', align_corners=False)[0] if both.shape[1] else \
            both.new_zeros((0, *size))
        things.append(InstanceData(labels=labels, masks=both[:len(labels)]))
        stuff.append(both[len(labels):])
        semantic.append(F.interpolate(sem[None, None].float(), size, mode='nearest')[0, 0].long())
    return things, stuff, torch.stack(semantic)


def panoptic_segments(things: InstanceData, stuff_masks: Tensor, num_things_classes: int) -> InstanceData:
    """All segments of an image (things, then present stuff classes) as one ``InstanceData``.

    Args:
        things (InstanceData): thing ``labels`` (K,) and ``masks`` (K, H, W).
        stuff_masks (Tensor): per stuff class masks (S, H, W), zero for absent classes.
        num_things_classes (int): label offset of the stuff classes.

    Returns:
        InstanceData: ``labels`` (K + S', ) and ``masks`` (K + S', H, W).
    """
    present = torch.nonzero(stuff_masks.flatten(1).sum(-1) > 0).squeeze(1)
    return InstanceData(
        labels=torch.cat([things.labels, present + num_things_classes]),
        masks=torch.cat([things.masks, stuff_masks[present]]))
