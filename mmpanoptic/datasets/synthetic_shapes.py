"""Generators of the built-in "synthetic shapes" panoptic datasets (image and video).

Every picture shows flat-shaded *things* (ellipses, triangles, rectangles and crosses of random size,
aspect, rotation and colour; the hue leans towards the class but neighbouring classes share hues) over
textured *stuff* (sky, grass, water) whose regions have irregular boundaries, plus, in some pictures, a
small unlabelled clutter blob (void). Things overlap, touch each other and touch or cross the border;
one picture often holds several instances of the same class.
In videos the camera pans over the stuff, things move and rotate, occlude each other by a fixed depth
order, enter and leave the frame, and keep their track id for the whole sequence.

Output layouts:

* :func:`generate_image_dataset` writes COCO panoptic::

      out_dir/{train,val}/<image %06d>.jpg
      out_dir/annotations/panoptic_{train,val}.json
      out_dir/annotations/panoptic_{train,val}/<image %06d>.png   (id = R + 256 G + 256^2 B, 0 = void)

  Segment ids are ``category_id * 1000 + k`` with ``k >= 1`` for the k-th thing and ``k = 0`` for the
  single segment of a stuff class.

* :func:`generate_video_dataset` writes KITTI-STEP::

      out_dir/images/{train,val}/<sequence %04d>/<frame %06d>.png
      out_dir/panoptic_maps/{train,val}/<sequence %04d>/<frame %06d>.png

  where R is the 0-based class index of :data:`~.synthetic_shapes_meta.CLASSES` (255 = void) and
  ``G * 256 + B`` is the track id (``>= 1`` for things, unique within a sequence; 0 for stuff and void).

Both write ``out_dir/generation.json`` recording the request. Each picture (and each sequence) is drawn
from its own random stream derived from ``(seed, split, index)``, so the output is identical for equal
arguments and, for example, the val split does not change when only ``num_train`` changes.

Visible thing fragments smaller than :data:`MIN_THING_AREA` pixels (an object entering the frame, or
almost hidden behind another) are labelled void instead of being given a segment.
"""
import json
import math
import os
import os.path as osp
import shutil
from dataclasses import dataclass, replace
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from mmpanoptic.fileio import load_json
from mmpanoptic.structures.panoptic_encoding import coco_rgb, step_rgb

from .synthetic_shapes_meta import CLASSES, PALETTE, STUFF_CLASSES, THING_CLASSES

# Bump whenever the rendering changes, so that a stored generation.json no longer matches new requests.
FORMAT_VERSION = 2
GENERATION_FILE = 'generation.json'
MIN_SIZE = 32
MIN_THING_AREA = 12
THING_HUE_SPREAD = 32
SPLITS = ('train', 'val')
VOID_LABEL = 255
SEGMENT_ID_DIVISOR = 1000

_OUTPUTS = SPLITS + ('annotations', 'images', 'panoptic_maps', GENERATION_FILE)

_NUM_THINGS = len(THING_CLASSES)
_STUFF_BASE_COLOURS = {'sky': (135, 200, 235), 'grass': (70, 150, 60), 'water': (35, 70, 150)}


@dataclass
class _Thing:
    """One thing in picture coordinates (pixels; x to the right, y down).

    ``half_w``/``half_h`` are the half extents along the shape's own axes, ``angle`` its rotation in
    radians, ``apex`` the position of a triangle's apex along its base (-1 to 1), ``bar`` the relative
    bar thickness of a cross, ``colour`` its RGB colour (3,) and ``shading`` the gain gradient (2,) of
    the colour along the shape's axes.
    """
    label: int
    cx: float
    cy: float
    half_w: float
    half_h: float
    angle: float
    apex: float
    bar: float
    colour: np.ndarray
    shading: np.ndarray

    @property
    def radius(self) -> float:
        return math.hypot(self.half_w, self.half_h)

    def moved(self, cx: float, cy: float, angle: float) -> '_Thing':
        return replace(self, cx=cx, cy=cy, angle=angle)


# ---------------------------------------------------------------------------------------------------
# Request validation and output folders
# ---------------------------------------------------------------------------------------------------

def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f'synthetic shapes: {name} must be an integer, got {value!r}')
    if value < minimum:
        raise ValueError(f'synthetic shapes: {name} must be at least {minimum}, got {value}')
    return int(value)


def _check_size(size: Sequence[int]) -> Tuple[int, int]:
    if len(size) != 2:
        raise ValueError(f'synthetic shapes: size must be (height, width), got {size!r}')
    height, width = (_check_int(f'size[{i}]', s, 1) for i, s in enumerate(size))
    if min(height, width) < MIN_SIZE:
        raise ValueError(f'synthetic shapes: size {height}x{width} is too small; both sides must be at '
                         f'least {MIN_SIZE} pixels to hold several recognisable shapes')
    return height, width


def _prepare_out_dir(out_dir: str, overwrite: bool) -> None:
    """Create ``out_dir``, or delete the outputs of an earlier run (image or video) when ``overwrite``."""
    if osp.exists(out_dir) and not osp.isdir(out_dir):
        raise NotADirectoryError(f'synthetic shapes: output path {out_dir} exists and is not a folder')
    entries = os.listdir(out_dir) if osp.isdir(out_dir) else []
    if entries:
        if not overwrite:
            raise FileExistsError(f'synthetic shapes: output folder {out_dir} is not empty; pass '
                                  'overwrite=True (--overwrite) to replace a generated dataset')
        if GENERATION_FILE not in entries:
            raise FileExistsError(f'synthetic shapes: output folder {out_dir} is not empty and has no '
                                  f'{GENERATION_FILE}, so it was not written by this generator; '
                                  'refusing to delete anything in it')
        for name in _OUTPUTS:
            path = osp.join(out_dir, name)
            if osp.isdir(path):
                shutil.rmtree(path)
            elif osp.exists(path):
                os.remove(path)
    os.makedirs(out_dir, exist_ok=True)


def generation_request(kind: str, seed: int, num_train: int, num_val: int, size: Sequence[int],
                       num_frames: Optional[int] = None) -> dict:
    """The content of ``generation.json`` for a request (``kind`` is ``'image'`` or ``'video'``).

    Two datasets with equal requests are byte-identical, so a caller can compare this with the file of an
    existing folder to decide whether it must be generated again.
    """
    if kind not in ('image', 'video'):
        raise ValueError(f'synthetic shapes: kind must be "image" or "video", got {kind!r}')
    request = dict(kind=kind, format_version=FORMAT_VERSION, seed=_check_int('seed', seed, 0),
                   num_train=_check_int('num_train', num_train, 1), num_val=_check_int('num_val', num_val, 1),
                   size=list(_check_size(size)))
    if kind == 'video':
        request['num_frames'] = _check_int('num_frames', num_frames, 2)
    return request


def read_generation_request(out_dir: str) -> Optional[dict]:
    """The ``generation.json`` of ``out_dir``, or None when there is none.

    Raises:
        DataError: the file is not a JSON object.
    """
    path = osp.join(out_dir, GENERATION_FILE)
    if not osp.isfile(path):
        return None
    return load_json(path, required=())


def _write_json(path: str, content: dict) -> None:
    with open(path, 'w') as f:
        json.dump(content, f, indent=1, sort_keys=True)
        f.write('\n')


def _write_image(path: str, image_rgb: np.ndarray) -> None:
    params = [cv2.IMWRITE_JPEG_QUALITY, 95] if path.endswith('.jpg') else [cv2.IMWRITE_PNG_COMPRESSION, 3]
    if not cv2.imwrite(path, np.ascontiguousarray(image_rgb[..., ::-1]), params):
        raise OSError(f'synthetic shapes: could not write {path}')


def _stream(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, *keys]))


# ---------------------------------------------------------------------------------------------------
# Stuff, void and textures
# ---------------------------------------------------------------------------------------------------

def _smooth_field(rng: np.random.Generator, height: int, width: int, cells: int) -> np.ndarray:
    """A smooth random field of shape (height, width): a coarse Gaussian grid, bicubically upsampled.

    ``cells`` is the number of grid cells along the shorter side; more cells give finer detail.
    """
    scale = cells / min(height, width)
    grid = rng.standard_normal((max(2, round(height * scale) + 1), max(2, round(width * scale) + 1)))
    return cv2.resize(grid.astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC)


def _stuff_labels(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Stuff index map (height, width) in [0, num_stuff): argmax of smooth random scores.

    Sky leans to the top and water to the bottom; the mixture of a coarse and a finer field gives
    irregular region boundaries. A class can be absent from a picture.
    """
    rows = np.linspace(-1.0, 1.0, height, dtype=np.float32)[:, None]
    tilt = rng.uniform(0.5, 1.5)
    prior = {'sky': -tilt * rows, 'grass': np.zeros_like(rows), 'water': tilt * rows}
    scores = np.stack([
        _smooth_field(rng, height, width, 2) + 0.35 * _smooth_field(rng, height, width, 7) + prior[name] +
        rng.normal(0.0, 0.3) for name in STUFF_CLASSES
    ])
    return scores.argmax(0)


def _stuff_texture(rng: np.random.Generator, name: str, height: int, width: int) -> np.ndarray:
    """Texture (height, width, 3) float32 RGB of one stuff class, with a jittered base colour."""
    colour = np.asarray(_STUFF_BASE_COLOURS[name], np.float32) + rng.uniform(-20, 20, 3).astype(np.float32)
    rows = np.arange(height, dtype=np.float32)[:, None]
    if name == 'sky':
        clouds = np.clip(_smooth_field(rng, height, width, 4), 0, None)[..., None]
        texture = colour + 12 * (rows / height)[..., None] + 45 * clouds * (255 - colour) / 255
    elif name == 'grass':
        blades = cv2.resize(rng.standard_normal((max(2, height // 4), width)).astype(np.float32),
                            (width, height), interpolation=cv2.INTER_LINEAR)
        texture = colour + 28 * blades[..., None] * np.float32([0.6, 1.0, 0.4])
    else:
        period = rng.uniform(3.0, 6.0)
        warp = 2.0 * _smooth_field(rng, height, width, 3)
        waves = np.sin(2 * np.pi * (rows + warp) / period)
        texture = colour + 22 * waves[..., None] * np.float32([0.5, 0.8, 1.0])
    return texture.astype(np.float32)


def _paint_stuff(rng: np.random.Generator, height: int,
                 width: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stuff background of a picture.

    Returns:
        tuple: RGB image (H, W, 3) float32, stuff index map (H, W) int64 in [0, num_stuff) and the void
        mask (H, W) bool of the clutter blob (all False in pictures without one).
    """
    labels = _stuff_labels(rng, height, width)
    image = np.zeros((height, width, 3), np.float32)
    for index, name in enumerate(STUFF_CLASSES):
        region = labels == index
        image[region] = _stuff_texture(rng, name, height, width)[region]
    void = np.zeros((height, width), bool)
    if rng.random() < 0.6:
        rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
        radius = rng.uniform(0.04, 0.08) * min(height, width)
        cy, cx = rng.uniform(0, height), rng.uniform(0, width)
        distance = np.hypot(rows - cy, cols - cx) / radius
        void = distance + 0.3 * _smooth_field(rng, height, width, 6) < 1.0
        checker = ((rows // 2 + cols // 2) % 2)[..., None] * 60 + 90
        image[void] = (checker + rng.normal(0, 10, (height, width, 1)))[void]
    return image, labels, void


# ---------------------------------------------------------------------------------------------------
# Things
# ---------------------------------------------------------------------------------------------------

def _random_colour(rng: np.random.Generator, label: int) -> np.ndarray:
    """A saturated RGB colour (3,) float32 whose hue leans towards the class of the thing.

    Hues (OpenCV units, 0-180) are drawn around ``label * 180 / num_things`` with a spread of
    :data:`THING_HUE_SPREAD`, wider than half the distance between class centres: colour is a cue, as
    in real data, but neighbouring classes share hues, so the shape must decide.
    """
    centre = label * 180 / _NUM_THINGS
    hue = int(round(centre + rng.uniform(-THING_HUE_SPREAD, THING_HUE_SPREAD))) % 180
    hsv = np.uint8([[[hue, rng.integers(140, 256), rng.integers(150, 256)]]])
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32)


def _random_thing(rng: np.random.Generator, label: int, height: int, width: int) -> _Thing:
    """A thing of class ``label`` with random geometry and colour, centred at (0, 0)."""
    extent = rng.uniform(0.07, 0.22) * min(height, width)
    aspect = math.exp(rng.uniform(-0.5, 0.5))
    return _Thing(
        label=label, cx=0.0, cy=0.0, half_w=max(4.0, extent * aspect), half_h=max(4.0, extent / aspect),
        angle=rng.uniform(-math.pi, math.pi), apex=rng.uniform(-0.6, 0.6), bar=rng.uniform(0.3, 0.45),
        colour=_random_colour(rng, label), shading=rng.uniform(-0.25, 0.25, 2).astype(np.float32))


def _local_coordinates(thing: _Thing, rows: np.ndarray, cols: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates (H, W) in the thing's frame, normalised by its half extents."""
    dx, dy = cols + 0.5 - thing.cx, rows + 0.5 - thing.cy
    cos, sin = math.cos(thing.angle), math.sin(thing.angle)
    return (cos * dx + sin * dy) / thing.half_w, (-sin * dx + cos * dy) / thing.half_h


def _thing_mask(thing: _Thing, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Boolean mask (H, W) of the pixels whose centre lies inside the thing."""
    u, v = _local_coordinates(thing, rows, cols)
    name = THING_CLASSES[thing.label]
    if name == 'ellipse':
        return u * u + v * v <= 1.0
    if name == 'rectangle':
        return (np.abs(u) <= 1.0) & (np.abs(v) <= 1.0)
    if name == 'cross':
        return ((np.abs(u) <= 1.0) & (np.abs(v) <= thing.bar)) | ((np.abs(u) <= thing.bar) & (np.abs(v) <= 1.0))
    # triangle with base v = 1 from u = -1 to u = 1 and apex (thing.apex, -1)
    left = (v - 1.0) * (thing.apex + 1.0) + 2.0 * (u + 1.0)
    right = (v - 1.0) * (1.0 - thing.apex) - 2.0 * (u - 1.0)
    return (v <= 1.0) & (left >= 0) & (right >= 0)


def _thing_texture(thing: _Thing, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Flat colour with a linear shading gradient across the thing, (H, W, 3) float32."""
    u, v = _local_coordinates(thing, rows, cols)
    gain = 1.0 + np.clip(thing.shading[0] * u + thing.shading[1] * v, -0.4, 0.4)
    return thing.colour * gain[..., None]


def _place_thing(rng: np.random.Generator, thing: _Thing, owner: np.ndarray, rows: np.ndarray,
                 cols: np.ndarray) -> _Thing:
    """Position a thing: anywhere, across the border, or touching an already placed thing.

    Args:
        owner (np.ndarray): (H, W) int index of the thing visible at each pixel, -1 where none.
    """
    height, width = owner.shape
    mode = rng.choice(['free', 'border', 'touch'], p=[0.45, 0.2, 0.35])
    if mode == 'touch' and owner.max() >= 0:
        neighbour = owner == rng.choice(np.unique(owner[owner >= 0]))
        ys, xs = np.nonzero(neighbour)
        start_x, start_y = xs.mean() + 0.5, ys.mean() + 0.5
        direction = rng.uniform(-math.pi, math.pi)
        step_x, step_y = math.cos(direction), math.sin(direction)
        for step in range(1, 2 * (height + width)):
            candidate = thing.moved(start_x + step * step_x, start_y + step * step_y, thing.angle)
            if not (_thing_mask(candidate, rows, cols) & neighbour).any():
                return candidate
    if mode == 'border':
        side = rng.integers(4)
        along = rng.uniform(0, width if side < 2 else height)
        across = rng.uniform(-0.3, 0.5) * min(thing.half_w, thing.half_h)
        cx, cy = [(along, across), (along, height - across), (across, along), (width - across, along)][side]
        return thing.moved(cx, cy, thing.angle)
    return thing.moved(rng.uniform(0, width), rng.uniform(0, height), thing.angle)


def _num_things_range(height: int, width: int) -> Tuple[int, int]:
    return 2, max(3, min(12, round(height * width / 700)))


def _image_things(rng: np.random.Generator, height: int, width: int) -> Tuple[List[_Thing], np.ndarray]:
    """Sample and place the things of one picture, from back to front.

    Classes are drawn from a small subset so that several instances of one class are common. A
    candidate is rejected (up to a few retries) when it, or a thing behind it, would keep fewer than
    :data:`MIN_THING_AREA` visible pixels or less than a third of its area inside the picture.

    Returns:
        tuple: the kept things, back to front, and the (H, W) int map of the index of the visible thing
        (-1 where none).
    """
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    low, high = _num_things_range(height, width)
    count = int(rng.integers(low, high + 1))
    classes = rng.choice(_NUM_THINGS, size=int(rng.integers(1, _NUM_THINGS + 1)), replace=False)
    things: List[_Thing] = []
    full_areas: List[int] = []
    owner = np.full((height, width), -1, np.int64)
    for _ in range(count):
        for _attempt in range(8):
            thing = _place_thing(rng, _random_thing(rng, int(rng.choice(classes)), height, width), owner, rows,
                                 cols)
            mask = _thing_mask(thing, rows, cols)
            new_owner = np.where(mask, len(things), owner)
            visible = np.bincount(new_owner.ravel() + 1, minlength=len(things) + 2)[1:]
            full = np.asarray(full_areas + [int(mask.sum())])
            if (visible >= np.maximum(MIN_THING_AREA, full / 3)).all():
                things.append(thing)
                full_areas.append(int(mask.sum()))
                owner = new_owner
                break
    return things, owner


def _render_picture(rng: np.random.Generator, height: int,
                    width: int) -> Tuple[np.ndarray, np.ndarray, Dict[int, int]]:
    """Render one picture of the image dataset.

    Returns:
        tuple: uint8 RGB image (H, W, 3), segment id map (H, W) int64 (0 = void) and the map from
        segment id to 0-based class index.
    """
    image, stuff, void = _paint_stuff(rng, height, width)
    things, owner = _image_things(rng, height, width)
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    segments = np.where(void, 0, (stuff + _NUM_THINGS + 1) * SEGMENT_ID_DIVISOR)
    classes = {(index + _NUM_THINGS + 1) * SEGMENT_ID_DIVISOR: index + _NUM_THINGS
               for index in range(len(STUFF_CLASSES))}
    per_class = np.zeros(_NUM_THINGS, np.int64)
    for index, thing in enumerate(things):
        region = owner == index
        image[region] = _thing_texture(thing, rows, cols)[region]
        per_class[thing.label] += 1
        segment_id = (thing.label + 1) * SEGMENT_ID_DIVISOR + int(per_class[thing.label])
        segments[region] = segment_id
        classes[segment_id] = thing.label
    image += rng.normal(0.0, 4.0, image.shape)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8), segments, classes


def _segments_info(segments: np.ndarray, classes: Dict[int, int]) -> List[dict]:
    """COCO ``segments_info`` of every non-void segment id present in ``segments``."""
    info = []
    for segment_id in np.unique(segments):
        if segment_id == 0:
            continue
        ys, xs = np.nonzero(segments == segment_id)
        x0, y0 = int(xs.min()), int(ys.min())
        info.append(
            dict(id=int(segment_id), category_id=classes[int(segment_id)] + 1, area=int(xs.size),
                 bbox=[x0, y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1], iscrowd=0))
    return info


def coco_categories() -> List[dict]:
    """COCO panoptic ``categories`` of the synthetic shapes classes (id = class index + 1)."""
    return [
        dict(id=index + 1, name=name, supercategory='shape' if index < _NUM_THINGS else 'background',
             isthing=int(index < _NUM_THINGS), color=list(PALETTE[index])) for index, name in enumerate(CLASSES)
    ]


def _plain(items: Iterable, total: int) -> Iterable:
    return items


def generate_image_dataset(out_dir: str,
                           seed: int = 0,
                           num_train: int = 1000,
                           num_val: int = 100,
                           size: Sequence[int] = (64, 64),
                           overwrite: bool = False,
                           progress: Optional[Callable[[Iterable, int], Iterable]] = None) -> Dict[str, int]:
    """Write the synthetic shapes image panoptic dataset in COCO panoptic layout (see module doc).

    Args:
        out_dir (str): output folder; it must not exist or be empty, unless ``overwrite``.
        seed (int): random seed (>= 0); equal arguments give byte-identical files.
        num_train (int): number of training images (>= 1).
        num_val (int): number of validation images (>= 1).
        size (tuple[int, int]): image (height, width), each side at least :data:`MIN_SIZE`.
        overwrite (bool): replace a dataset previously written by this generator in ``out_dir``.
        progress (callable, optional): ``progress(items, total)`` wraps the loop over the pictures (sequences)
            of each split, e.g. :func:`mmpanoptic.cli.progress`; the files do not depend on it.

    Returns:
        dict: number of images and of segments written per split, e.g. ``{'train_images': 400, ...}``.
    """
    request = generation_request('image', seed, num_train, num_val, size)
    seed, (height, width) = request['seed'], request['size']
    counts = dict(train=request['num_train'], val=request['num_val'])
    _prepare_out_dir(out_dir, overwrite)
    summary = {}
    for split_index, split in enumerate(SPLITS):
        image_dir = osp.join(out_dir, split)
        png_dir = osp.join(out_dir, 'annotations', f'panoptic_{split}')
        os.makedirs(image_dir)
        os.makedirs(png_dir)
        images, annotations = [], []
        for index in (progress or _plain)(range(counts[split]), counts[split]):
            image, segments, classes = _render_picture(_stream(seed, split_index, index), height, width)
            name = f'{index:06d}'
            _write_image(osp.join(image_dir, f'{name}.jpg'), image)
            _write_image(osp.join(png_dir, f'{name}.png'), coco_rgb(segments))
            images.append(dict(id=index, file_name=f'{name}.jpg', height=height, width=width))
            annotations.append(
                dict(image_id=index, file_name=f'{name}.png', segments_info=_segments_info(segments, classes)))
        _write_json(
            osp.join(out_dir, 'annotations', f'panoptic_{split}.json'),
            dict(info=dict(description=f'synthetic shapes panoptic {split}, seed {seed}'), images=images,
                 annotations=annotations, categories=coco_categories()))
        summary[f'{split}_images'] = len(images)
        summary[f'{split}_segments'] = sum(len(a['segments_info']) for a in annotations)
    _write_json(osp.join(out_dir, GENERATION_FILE), request)
    return summary


# ---------------------------------------------------------------------------------------------------
# Video
# ---------------------------------------------------------------------------------------------------

def _exit_distance(x: float, y: float, dx: float, dy: float, height: int, width: int, margin: float) -> float:
    """Distance along (dx, dy) from (x, y) inside the picture to outside the picture grown by margin."""
    limits = []
    for position, step, size in ((x, dx, width), (y, dy, height)):
        if step > 1e-9:
            limits.append((size + margin - position) / step)
        elif step < -1e-9:
            limits.append((position + margin) / -step)
    return min(limits)


def _video_tracks(rng: np.random.Generator, height: int, width: int,
                  num_frames: int) -> List[Tuple[_Thing, np.ndarray, float]]:
    """Sample the things of one sequence with their motion.

    The first thing enters (outside the picture in the first frame, inside in the last), the second
    leaves (the reverse); the others start inside and drift. The list order is the depth order, back
    to front.

    Returns:
        list[tuple]: ``(thing at frame 0, velocity (2,) in pixels per frame, angular velocity)``.
    """
    low, high = _num_things_range(height, width)
    count = int(rng.integers(max(3, low), high + 1))
    classes = rng.choice(_NUM_THINGS, size=int(rng.integers(2, _NUM_THINGS + 1)), replace=False)
    tracks = []
    for index in range(count):
        thing = _random_thing(rng, int(rng.choice(classes)), height, width)
        inner = rng.uniform(0.25, 0.75, 2) * (width, height)
        if index < 2:
            direction = rng.uniform(-math.pi, math.pi)
            dx, dy = math.cos(direction), math.sin(direction)
            travel = _exit_distance(inner[0], inner[1], dx, dy, height, width, thing.radius + 1.0)
            outer = inner + travel * np.array([dx, dy])
            start, end = (outer, inner) if index == 0 else (inner, outer)
            velocity = (end - start) / (num_frames - 1)
        else:
            start = rng.uniform(0, 1, 2) * (width, height)
            velocity = rng.uniform(-0.04, 0.04, 2) * min(height, width)
        tracks.append((thing.moved(float(start[0]), float(start[1]), thing.angle), velocity,
                       rng.uniform(-0.1, 0.1)))
    order = rng.permutation(count)
    return [tracks[i] for i in order]


def _render_sequence(rng: np.random.Generator, height: int, width: int,
                     num_frames: int) -> List[Tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Render one sequence.

    Returns:
        list[tuple]: per frame, uint8 RGB image (H, W, 3), class map (H, W) uint8 (255 = void) and track
        id map (H, W) int64 (0 for stuff and void).
    """
    pan = rng.uniform(-1.5, 1.5)
    travel = math.ceil(abs(pan) * (num_frames - 1))
    canvas, stuff, void = _paint_stuff(rng, height, width + travel)
    tracks = _video_tracks(rng, height, width, num_frames)
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    frames = []
    for t in range(num_frames):
        left = round(pan * t) if pan >= 0 else travel + round(pan * t)
        image = canvas[:, left:left + width].copy()
        labels = np.where(void[:, left:left + width], VOID_LABEL, stuff[:, left:left + width] + _NUM_THINGS)
        track_ids = np.zeros((height, width), np.int64)
        for track_id, (thing, velocity, spin) in enumerate(tracks, start=1):
            moved = thing.moved(thing.cx + velocity[0] * t, thing.cy + velocity[1] * t, thing.angle + spin * t)
            mask = _thing_mask(moved, rows, cols)
            image[mask] = _thing_texture(moved, rows, cols)[mask]
            labels[mask] = moved.label
            track_ids[mask] = track_id
        areas = np.bincount(track_ids.ravel(), minlength=len(tracks) + 1)
        fragments = (track_ids > 0) & (areas[track_ids] < MIN_THING_AREA)
        labels[fragments] = VOID_LABEL
        track_ids[fragments] = 0
        image += rng.normal(0.0, 4.0, image.shape)
        frames.append((np.clip(np.rint(image), 0, 255).astype(np.uint8), labels.astype(np.uint8), track_ids))
    return frames


def encode_kitti_step(labels: np.ndarray, track_ids: np.ndarray) -> np.ndarray:
    """KITTI-STEP panoptic PNG content (H, W, 3) uint8 RGB: R = class, G * 256 + B = track id."""
    return step_rgb(labels, track_ids)


def generate_video_dataset(out_dir: str,
                           seed: int = 0,
                           num_train: int = 8,
                           num_val: int = 2,
                           size: Sequence[int] = (64, 96),
                           num_frames: int = 10,
                           overwrite: bool = False,
                           progress: Optional[Callable[[Iterable, int], Iterable]] = None) -> Dict[str, int]:
    """Write the synthetic shapes video panoptic dataset in KITTI-STEP layout (see module doc).

    Args:
        out_dir (str): output folder; it must not exist or be empty, unless ``overwrite``.
        seed (int): random seed (>= 0); equal arguments give byte-identical files.
        num_train (int): number of training sequences (>= 1).
        num_val (int): number of validation sequences (>= 1).
        size (tuple[int, int]): frame (height, width), each side at least :data:`MIN_SIZE`.
        num_frames (int): frames per sequence (>= 2).
        overwrite (bool): replace a dataset previously written by this generator in ``out_dir``.
        progress (callable, optional): ``progress(items, total)`` wraps the loop over the pictures (sequences)
            of each split, e.g. :func:`mmpanoptic.cli.progress`; the files do not depend on it.

    Returns:
        dict: number of sequences, frames and tracks written per split.
    """
    request = generation_request('video', seed, num_train, num_val, size, num_frames)
    seed, (height, width), num_frames = request['seed'], request['size'], request['num_frames']
    counts = dict(train=request['num_train'], val=request['num_val'])
    _prepare_out_dir(out_dir, overwrite)
    summary = {}
    for split_index, split in enumerate(SPLITS):
        tracks = 0
        for sequence in (progress or _plain)(range(counts[split]), counts[split]):
            frames = _render_sequence(_stream(seed, len(SPLITS) + split_index, sequence), height, width, num_frames)
            image_dir = osp.join(out_dir, 'images', split, f'{sequence:04d}')
            map_dir = osp.join(out_dir, 'panoptic_maps', split, f'{sequence:04d}')
            os.makedirs(image_dir)
            os.makedirs(map_dir)
            for t, (image, labels, track_ids) in enumerate(frames):
                _write_image(osp.join(image_dir, f'{t:06d}.png'), image)
                _write_image(osp.join(map_dir, f'{t:06d}.png'), encode_kitti_step(labels, track_ids))
            tracks += len(np.unique(np.concatenate([ids.ravel() for _, _, ids in frames]))) - 1
        summary[f'{split}_sequences'] = counts[split]
        summary[f'{split}_frames'] = counts[split] * num_frames
        summary[f'{split}_tracks'] = tracks
    _write_json(osp.join(out_dir, GENERATION_FILE), request)
    return summary
