"""Drawing of panoptic ground truth with one colour per track id, the same in every frame of a video."""
import colorsys
from typing import List, Sequence, Tuple

import cv2
import numpy as np

from mmpanoptic.structures.panoptic_encoding import INSTANCE_OFFSET

_GOLDEN = 0.6180339887498949
_PLASTIC = 0.7548776662466927


def track_colour(instance_id: int) -> Tuple[int, int, int]:
    """The RGB colour of an instance (track) id.

    A pure function of the id, so that one object has one colour in all frames and in all runs. The hue
    steps by the golden ratio and the brightness by another irrational number, so consecutive ids get
    clearly different colours.

    Args:
        instance_id (int): instance or track id.

    Returns:
        tuple[int, int, int]: RGB in [0, 255].
    """
    hue = (instance_id * _GOLDEN) % 1.0
    value = 0.6 + 0.4 * ((instance_id * _PLASTIC) % 1.0)
    return tuple(int(round(255 * c)) for c in colorsys.hsv_to_rgb(hue, 0.9, value))


def draw_panoptic_gt(image: np.ndarray,
                     sem_seg: np.ndarray,
                     masks: np.ndarray,
                     labels: Sequence[int],
                     instance_ids: Sequence[int],
                     classes: Sequence[str],
                     palette: Sequence[Tuple[int, int, int]],
                     alpha: float = 0.5,
                     ignore_index: int = 255,
                     captions: bool = True) -> np.ndarray:
    """Blend the panoptic ground truth of one frame over the frame.

    Stuff (and crowd) pixels get the colour of their class, each thing instance the colour
    :func:`track_colour` of its id with a white outline and, with ``captions``, a ``<class> <id>`` caption
    at its top-left corner; ignored pixels are left as they are.

    Args:
        image (np.ndarray): (H, W, 3) uint8 RGB frame.
        sem_seg (np.ndarray): (H, W) contiguous labels, ``ignore_index`` for VOID.
        masks (np.ndarray): (N, H, W) bool thing masks.
        labels (Sequence[int]): (N,) class labels of the masks.
        instance_ids (Sequence[int]): (N,) instance (track) ids of the masks.
        classes (Sequence[str]): class names.
        palette (Sequence[tuple]): RGB colour per class.
        alpha (float): weight of the colours. Defaults to 0.5.
        ignore_index (int): VOID label of ``sem_seg``. Defaults to 255.
        captions (bool): write the class and id of each instance. Defaults to True.

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB drawing.
    """
    colours = np.zeros(image.shape, np.float64)
    painted = sem_seg != ignore_index
    colours[painted] = np.asarray(palette, np.float64)[sem_seg[painted]]
    masks = np.asarray(masks, bool)
    for mask, instance_id in zip(masks, instance_ids):
        colours[mask] = track_colour(int(instance_id))
        painted |= mask
    drawing = image.copy()
    drawing[painted] = np.round((1 - alpha) * image[painted] + alpha * colours[painted]).astype(np.uint8)
    for mask, label, instance_id in zip(masks, labels, instance_ids):
        contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(drawing, contours, -1, (255, 255, 255), 1)
        rows, cols = np.nonzero(mask)
        if captions and len(rows):
            text = f'{classes[int(label)]} {int(instance_id)}'
            (width, height), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.3, 1)
            # at the instance's top-left corner, moved inside the picture where it would be cut
            x = int(np.clip(cols.min(), 0, max(drawing.shape[1] - width - 1, 0)))
            y = int(np.clip(rows.min() + height, height, drawing.shape[0] - 2))
            cv2.putText(drawing, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.3, (255, 255, 255), 1, cv2.LINE_AA)
    return drawing


def prediction_parts(panoptic: np.ndarray, num_classes: int,
                     num_things: int) -> Tuple[np.ndarray, np.ndarray, List[int], List[int]]:
    """The inputs of :func:`draw_panoptic_gt` from a ``label + instance * INSTANCE_OFFSET`` map.

    Args:
        panoptic (np.ndarray): (H, W) panoptic map; label ``num_classes`` is VOID.
        num_classes (int): number of classes.
        num_things (int): number of thing classes (labels ``< num_things``).

    Returns:
        tuple: semantic map (H, W) with 255 for VOID, thing masks (N, H, W) bool, their labels and
        instance ids.
    """
    labels_map = panoptic % INSTANCE_OFFSET
    semantic = np.where(labels_map == num_classes, 255, labels_map)
    masks, labels, instance_ids = [], [], []
    for value in np.unique(panoptic):
        label = int(value % INSTANCE_OFFSET)
        if label < num_things:
            masks.append(panoptic == value)
            labels.append(label)
            instance_ids.append(int(value // INSTANCE_OFFSET))
    return semantic, np.asarray(masks, bool).reshape(-1, *panoptic.shape), labels, instance_ids


def enlarge(array: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour enlargement of an (H, W, 3) picture or of the last two axes of a map/masks."""
    if array.ndim == 3 and array.shape[-1] == 3:
        return array.repeat(scale, 0).repeat(scale, 1)
    return array.repeat(scale, -2).repeat(scale, -1)
