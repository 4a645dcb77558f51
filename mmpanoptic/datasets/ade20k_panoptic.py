"""ADE20K panoptic (ADEChallengeData2016; 150 classes: 100 things, 50 stuff)."""
from mmdet.datasets import ADE20KPanopticDataset as MMDetADE20KPanopticDataset

from mmpanoptic.registry import DATASETS
from .base_panoptic_dataset import BasePanopticDataset

# The 150 scene-parsing classes in semantic-index order: class i has semantic PNG value i + 1 and
# panoptic category id i.
ADE20K_SEMANTIC_CLASSES = (
    'wall', 'building', 'sky', 'floor', 'tree', 'ceiling', 'road, route', 'bed', 'window', 'grass', 'cabinet',
    'sidewalk, pavement', 'person', 'earth, ground', 'door', 'table', 'mountain, mount', 'plant', 'curtain',
    'chair', 'car', 'water', 'painting, picture', 'sofa', 'shelf', 'house', 'sea', 'mirror', 'rug', 'field',
    'armchair', 'seat', 'fence', 'desk', 'rock, stone', 'wardrobe, closet, press', 'lamp', 'tub', 'rail',
    'cushion', 'base, pedestal, stand', 'box', 'column, pillar', 'signboard, sign',
    'chest of drawers, chest, bureau, dresser', 'counter', 'sand', 'sink', 'skyscraper', 'fireplace',
    'refrigerator, icebox', 'grandstand, covered stand', 'path', 'stairs', 'runway',
    'case, display case, showcase, vitrine', 'pool table, billiard table, snooker table', 'pillow',
    'screen door, screen', 'stairway, staircase', 'river', 'bridge, span', 'bookcase', 'blind, screen',
    'coffee table', 'toilet, can, commode, crapper, pot, potty, stool, throne', 'flower', 'book', 'hill',
    'bench', 'countertop', 'stove', 'palm, palm tree', 'kitchen island', 'computer', 'swivel chair', 'boat',
    'bar', 'arcade machine', 'hovel, hut, hutch, shack, shanty', 'bus', 'towel', 'light', 'truck', 'tower',
    'chandelier', 'awning, sunshade, sunblind', 'street lamp', 'booth', 'tv', 'airplane', 'dirt track',
    'clothes', 'pole', 'land, ground, soil', 'bannister, banister, balustrade, balusters, handrail',
    'escalator, moving staircase, moving stairway', 'ottoman, pouf, pouffe, puff, hassock', 'bottle',
    'buffet, counter, sideboard', 'poster, posting, placard, notice, bill, card', 'stage', 'van', 'ship',
    'fountain', 'conveyer belt, conveyor belt, conveyer, conveyor, transporter', 'canopy',
    'washer, automatic washer, washing machine', 'plaything, toy', 'pool', 'stool', 'barrel, cask',
    'basket, handbasket', 'falls', 'tent', 'bag', 'minibike, motorbike', 'cradle', 'oven', 'ball',
    'food, solid food', 'step, stair', 'tank, storage tank', 'trade name', 'microwave', 'pot', 'animal',
    'bicycle', 'lake', 'dishwasher', 'screen', 'blanket, cover', 'sculpture', 'hood, exhaust hood', 'sconce',
    'vase', 'traffic light', 'tray', 'trash can', 'fan', 'pier', 'crt screen', 'plate', 'monitor',
    'bulletin board', 'shower', 'radiator', 'glass, drinking glass', 'clock', 'flag')


@DATASETS.register_module()
class ADE20KPanopticDataset(BasePanopticDataset):
    """ADE20K panoptic as written by ``tools/dataset_converters/ade20k_panoptic.py`` (the same files as
    Mask2Former's ``prepare_ade20k_pan_seg.py``).

    Layout (``data_root='data/ADEChallengeData2016/'``)::

        images/{training,validation}/ADE_*.jpg
        ade20k_panoptic_{train,val}.json
        ade20k_panoptic_{train,val}/ADE_*.png

    Category id = semantic index (0-149, see :data:`ADE20K_SEMANTIC_CLASSES`); labels are mmdet's
    things-first order (100 things, 50 stuff). Image ids are strings (``ADE_val_00000001``).
    """

    METAINFO = dict(
        MMDetADE20KPanopticDataset.METAINFO,
        category_ids=tuple(ADE20K_SEMANTIC_CLASSES.index(name)
                           for name in MMDetADE20KPanopticDataset.METAINFO['classes']))
