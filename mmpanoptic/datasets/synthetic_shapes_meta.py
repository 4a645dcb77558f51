"""Classes of the built-in "synthetic shapes" datasets (image and video).

Things come first, then stuff, in every encoding the project writes:

* COCO-panoptic JSON (image dataset): ``category_id`` = position in :data:`CLASSES` + 1.
* KITTI-STEP PNG (video dataset): R = position in :data:`CLASSES` (0-based), 255 = void.
"""
THING_CLASSES = ('ellipse', 'triangle', 'rectangle', 'cross')
STUFF_CLASSES = ('sky', 'grass', 'water')
CLASSES = THING_CLASSES + STUFF_CLASSES
PALETTE = [(220, 20, 60), (0, 130, 230), (250, 170, 30), (150, 60, 200), (135, 206, 235), (60, 160, 60),
           (30, 60, 150)]
METAINFO = dict(classes=CLASSES, thing_classes=THING_CLASSES, stuff_classes=STUFF_CLASSES, palette=PALETTE)
