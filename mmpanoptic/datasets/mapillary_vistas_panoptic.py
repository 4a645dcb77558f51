"""Mapillary Vistas v1.2 panoptic (65 classes: 37 things, 28 stuff)."""
from mmpanoptic.registry import DATASETS
from .base_panoptic_dataset import BasePanopticDataset, things_first_metainfo

# (category_id, name, isthing, colour) of the v1.2 panoptic categories; category_id = label index + 1.
VISTAS_CATEGORIES = (
    (1, 'Bird', True, (165, 42, 42)), (2, 'Ground Animal', True, (0, 192, 0)),
    (3, 'Curb', False, (196, 196, 196)), (4, 'Fence', False, (190, 153, 153)),
    (5, 'Guard Rail', False, (180, 165, 180)), (6, 'Barrier', False, (90, 120, 150)),
    (7, 'Wall', False, (102, 102, 156)), (8, 'Bike Lane', False, (128, 64, 255)),
    (9, 'Crosswalk - Plain', True, (140, 140, 200)), (10, 'Curb Cut', False, (170, 170, 170)),
    (11, 'Parking', False, (250, 170, 160)), (12, 'Pedestrian Area', False, (96, 96, 96)),
    (13, 'Rail Track', False, (230, 150, 140)), (14, 'Road', False, (128, 64, 128)),
    (15, 'Service Lane', False, (110, 110, 110)), (16, 'Sidewalk', False, (244, 35, 232)),
    (17, 'Bridge', False, (150, 100, 100)), (18, 'Building', False, (70, 70, 70)),
    (19, 'Tunnel', False, (150, 120, 90)), (20, 'Person', True, (220, 20, 60)),
    (21, 'Bicyclist', True, (255, 0, 0)), (22, 'Motorcyclist', True, (255, 0, 100)),
    (23, 'Other Rider', True, (255, 0, 200)), (24, 'Lane Marking - Crosswalk', True, (200, 128, 128)),
    (25, 'Lane Marking - General', False, (255, 255, 255)), (26, 'Mountain', False, (64, 170, 64)),
    (27, 'Sand', False, (230, 160, 50)), (28, 'Sky', False, (70, 130, 180)),
    (29, 'Snow', False, (190, 255, 255)), (30, 'Terrain', False, (152, 251, 152)),
    (31, 'Vegetation', False, (107, 142, 35)), (32, 'Water', False, (0, 170, 30)),
    (33, 'Banner', True, (255, 255, 128)), (34, 'Bench', True, (250, 0, 30)),
    (35, 'Bike Rack', True, (100, 140, 180)), (36, 'Billboard', True, (220, 220, 220)),
    (37, 'Catch Basin', True, (220, 128, 128)), (38, 'CCTV Camera', True, (222, 40, 40)),
    (39, 'Fire Hydrant', True, (100, 170, 30)), (40, 'Junction Box', True, (40, 40, 40)),
    (41, 'Mailbox', True, (33, 33, 33)), (42, 'Manhole', True, (100, 128, 160)),
    (43, 'Phone Booth', True, (142, 0, 0)), (44, 'Pothole', False, (70, 100, 150)),
    (45, 'Street Light', True, (210, 170, 100)), (46, 'Pole', True, (153, 153, 153)),
    (47, 'Traffic Sign Frame', True, (128, 128, 128)), (48, 'Utility Pole', True, (0, 0, 80)),
    (49, 'Traffic Light', True, (250, 170, 30)), (50, 'Traffic Sign (Back)', True, (192, 192, 192)),
    (51, 'Traffic Sign (Front)', True, (220, 220, 0)), (52, 'Trash Can', True, (140, 140, 20)),
    (53, 'Bicycle', True, (119, 11, 32)), (54, 'Boat', True, (150, 0, 255)),
    (55, 'Bus', True, (0, 60, 100)), (56, 'Car', True, (0, 0, 142)),
    (57, 'Caravan', True, (0, 0, 90)), (58, 'Motorcycle', True, (0, 0, 230)),
    (59, 'On Rails', False, (0, 80, 100)), (60, 'Other Vehicle', True, (128, 64, 64)),
    (61, 'Trailer', True, (0, 0, 110)), (62, 'Truck', True, (0, 0, 70)),
    (63, 'Wheeled Slow', True, (0, 0, 192)), (64, 'Car Mount', False, (32, 32, 32)),
    (65, 'Ego Vehicle', False, (120, 10, 10)))


@DATASETS.register_module()
class MapillaryVistasPanopticDataset(BasePanopticDataset):
    """Mapillary Vistas v1.2 panoptic, as released (no conversion needed).

    Layout (``data_root='data/mapillary_vistas/'``)::

        {training,validation}/images/<id>.jpg
        {training,validation}/panoptic/panoptic_2018.json
        {training,validation}/panoptic/<id>.png

    Things and stuff interleave in id order; labels are things first (37), then stuff (28).
    Unlabelled pixels (PNG id 0) are VOID (255 in ``gt_seg_map``). Do not use with v2.0 (124 classes):
    its file fails the thing/stuff check.
    """

    METAINFO = things_first_metainfo(VISTAS_CATEGORIES)
