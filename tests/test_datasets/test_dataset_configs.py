"""Every dataset base config resolves: dataset class, pipeline transforms and samplers are registered."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mmpanoptic.registry import DATA_SAMPLERS, DATASETS, TRANSFORMS
from mmpanoptic.utils import register_all_modules

CONFIGS = sorted(glob.glob(osp.join(osp.dirname(__file__), '..', '..', 'configs', '_base_', 'datasets', '*.py')))
VIDEO = {'KITTISTEPDataset', 'CityscapesVPSDataset', 'VIPSegDataset', 'SyntheticShapesVideoDataset'}


def transform_types(pipeline):
    """Every transform type of a pipeline, inside ``transforms`` and ``RandomChoice`` policies too."""
    for step in pipeline:
        if isinstance(step, (list, tuple)):  # a policy of RandomChoice / AutoAugment
            yield from transform_types(step)
            continue
        yield step['type']
        yield from transform_types(step.get('transforms', []))


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_dataset_config_resolves(path):
    register_all_modules()
    cfg = Config.fromfile(path)
    for split in ('train_dataloader', 'val_dataloader'):
        loader = cfg[split]
        dataset_cls = DATASETS.get(loader.dataset.type)
        assert dataset_cls is not None, loader.dataset.type
        assert DATA_SAMPLERS.get(loader.sampler.type) is not None
        for name in transform_types(loader.dataset.pipeline):
            assert TRANSFORMS.get(name) is not None, name
        if loader.dataset.type in VIDEO:
            assert loader.sampler.type == 'TrackImgSampler'
            assert cfg.val_evaluator.type == 'VideoPanopticMetric'
    assert cfg.val_dataloader.dataset.test_mode
