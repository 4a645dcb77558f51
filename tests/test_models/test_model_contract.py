"""The model contract suite: every model config of the zoo, on small inputs, through the data preprocessor.

For each distinct model of the configs (configs with an identical ``model`` are run once): the model builds; losses are finite on a normal batch, on a batch without things and on an
all-void crop; ``predict`` gives a ``long`` panoptic map of the original size whose labels are in
``[0, num_classes]`` (VOID = ``num_classes``) and whose instance ids are 0 for stuff; fp16 and bf16 autocast
give finite outputs; a checkpoint of another model family is refused through the loader of
``tools/test.py``. A new config joins by being in ``configs/``; a new family by a line in ``LAYOUT_OF``.

Full-size backbones (R-50 and up) run in the slow tier, the synthetic configs in the fast one.
"""
import copy
import glob
import json
import os.path as osp

import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.structures import InstanceData, PixelData

from mmpanoptic.engine.load import CheckpointMismatchError, load_weights
from mmpanoptic.registry import MODELS
from mmpanoptic.structures.panoptic_encoding import INSTANCE_OFFSET
from mmpanoptic.utils import register_all_modules

register_all_modules()
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '*', '*.py')) if '_base_' not in p)


def _model_key(path):
    return json.dumps(Config.fromfile(path).model.to_dict(), sort_keys=True, default=str)


# Configs whose whole ``model`` (test_cfg included) is identical to an earlier config's (a longer schedule, a
# data pipeline variant) are covered by that config's run: one run per distinct model.
_FIRST_WITH_MODEL = {}
for _path in CONFIGS:
    _FIRST_WITH_MODEL.setdefault(_model_key(_path), _path)
MODEL_CONFIGS = sorted(_FIRST_WITH_MODEL.values())
# mmcv's deformable convolutions in mmdet's ResNet have no fp16/bf16 CPU kernel (their CUDA kernels do).
NO_CPU_AUTOCAST = {'knet_s3_r101_dcn-c3-c5_fpn_ms-3x_coco-panoptic.py'}
# An official layout of each family, to check that every other family refuses it.
LAYOUT_OF = {'knet': 'knet_r50_coco.json', 'rtknet': 'rtknet_rtformer-b_cityscapes.json', 'yoso': 'yoso_r50_coco.json',
             'panoptic_segformer': 'panoptic_segformer_r50_coco.json', 'rt_panoptic': 'rt_panonet_r50_cityscapes.json'}
H, W = 60, 76  # not a multiple of 32: the preprocessor pads, predictions must come back at 60x76


def _tensors(outputs):
    """The tensors of a (nested) tuple/list/dict of model outputs."""
    if isinstance(outputs, torch.Tensor):
        return [outputs]
    if isinstance(outputs, dict):
        outputs = list(outputs.values())
    if isinstance(outputs, (list, tuple)):
        return [t for o in outputs for t in _tensors(o)]
    return []


def _param(path):
    marks = [] if 'synthetic' in osp.basename(path) else [pytest.mark.slow]
    return pytest.param(path, id=osp.splitext(osp.basename(path))[0], marks=marks)


def _build(path):
    cfg = Config.fromfile(path)
    if cfg.model.get('backbone', {}).get('init_cfg'):
        cfg.model.backbone.init_cfg = None
    torch.manual_seed(0)
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    model.init_weights()
    return model


def _sample(model, things=True, void=False):
    num_things = model.num_things_classes
    sem = torch.full((1, H, W), num_things, dtype=torch.uint8)  # the first stuff class
    sem[:, H // 2:] = num_things + model.num_stuff_classes - 1
    masks = torch.zeros((2 if things else 0, H, W), dtype=torch.uint8)
    if things:
        masks[0, 5:25, 5:30] = 1
        masks[1, 30:55, 35:70] = 1
        sem[0][masks[0].bool()] = 0
        sem[0][masks[1].bool()] = num_things - 1
    if void:
        sem[:] = 255
        masks = masks[:0]
    labels = torch.tensor([0, num_things - 1])[:len(masks)]
    bitmap = BitmapMasks(masks.numpy(), H, W)
    sample = DetDataSample(metainfo=dict(img_shape=(H, W), ori_shape=(H, W), scale_factor=(1.0, 1.0)))
    sample.gt_instances = InstanceData(labels=labels, masks=bitmap, bboxes=bitmap.get_bboxes(HorizontalBoxes))
    sample.gt_sem_seg = PixelData(sem_seg=sem)
    return sample


def _batch(model, training, **kwargs):
    gen = torch.Generator().manual_seed(1)
    data = dict(inputs=[torch.randint(0, 255, (3, H, W), dtype=torch.uint8, generator=gen) for _ in range(2)],
                data_samples=[_sample(model, **kwargs), _sample(model, **kwargs)])
    return model.data_preprocessor(copy.deepcopy(data), training)


@pytest.mark.parametrize('path', [_param(p) for p in MODEL_CONFIGS])
def test_model_contract(path, official_layout_files):
    model = _build(path)
    assert hasattr(model, 'num_things_classes') and hasattr(model, 'num_stuff_classes')
    num_classes = model.num_things_classes + model.num_stuff_classes

    model.train()
    for case in (dict(), dict(things=False), dict(void=True)):
        data = _batch(model, True, **case)
        losses = model.loss(data['inputs'], data['data_samples'])
        total = sum(v for k, v in losses.items() if 'loss' in k)
        assert torch.isfinite(total), (case, {k: float(v) for k, v in losses.items()})

    model.eval()
    data = _batch(model, False)
    with torch.no_grad():
        results = model.predict(data['inputs'], data['data_samples'])
        pan = results[0].pred_panoptic_seg.sem_seg
        assert pan.dtype == torch.long and tuple(pan.shape) == (1, H, W)
        labels, ids = pan % INSTANCE_OFFSET, pan // INSTANCE_OFFSET
        assert int(labels.min()) >= 0 and int(labels.max()) <= num_classes
        assert not ((labels >= model.num_things_classes) & (ids > 0)).any(), 'stuff and void carry id 0'
        for dtype in () if osp.basename(path) in NO_CPU_AUTOCAST else (torch.bfloat16, torch.float16):
            with torch.autocast('cpu', dtype=dtype):
                outputs = _tensors(model._forward(data['inputs'], data['data_samples']))
            assert outputs and all(torch.isfinite(t.float()).all() for t in outputs), dtype

    family = getattr(model, 'checkpoint_family', None)
    for other, path_other in official_layout_files.items():
        if other == family:
            continue
        with pytest.raises(CheckpointMismatchError, match=f'{other}.pth: the checkpoint holds'):
            load_weights(model, path_other, strict=True)


@pytest.fixture(scope='module')
def official_layout_files(tmp_path_factory):
    """family -> a file with the official layout of :data:`LAYOUT_OF` (zeros of the official shapes), written
    once for all the configs."""
    root = tmp_path_factory.mktemp('official_layouts')
    files = {}
    for family, layout in LAYOUT_OF.items():
        with open(osp.join(REPO, 'tests', 'data', 'official_layouts', layout)) as f:
            data = json.load(f)
        weights = {k: torch.zeros(s) for k, s in data['keys'].items()}
        files[family] = str(root / f'{family}.pth')
        torch.save(weights if data['wrapper'] is None else {data['wrapper']: weights}, files[family])  # None: plain
    return files
