"""The demo config configs/mask2former/mask2former_r18_synthetic-shapes.py builds, trains a step and predicts."""
import os.path as osp

import pytest
import torch
from mmdet.evaluation.functional import INSTANCE_OFFSET
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from mmpanoptic.datasets.synthetic_shapes import generate_image_dataset
from mmpanoptic.datasets.synthetic_shapes_meta import CLASSES
from mmpanoptic.registry import DATASETS, MODELS
from mmpanoptic.utils import register_all_modules

CONFIG = osp.join('configs', 'mask2former', 'mask2former_r18_synthetic-shapes.py')


@pytest.fixture(scope='module')
def setup(tmp_path_factory, repo_root):
    register_all_modules()
    data_root = str(tmp_path_factory.mktemp('shapes'))
    generate_image_dataset(data_root, seed=0, num_train=2, num_val=2)
    cfg = Config.fromfile(osp.join(repo_root, CONFIG))
    for loader in ('train_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data_root
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return cfg, model


def test_one_training_step_gives_finite_losses_and_gradients(setup):
    cfg, model = setup
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    batch = model.data_preprocessor(pseudo_collate([dataset[0], dataset[1]]), True)
    assert batch['inputs'].shape == (2, 3, 128, 128)  # 64x64 pictures enlarged by the pipeline
    model.train()
    losses = model(**batch, mode='loss')
    assert {'loss_cls', 'loss_mask', 'loss_dice', 'd0.loss_cls'} <= set(losses)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_prediction_follows_the_panoptic_contract(setup):
    cfg, model = setup
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    model.eval()
    with torch.no_grad():
        samples = model.test_step(pseudo_collate([dataset[0]]))
    panoptic = samples[0].pred_panoptic_seg.sem_seg
    assert panoptic.shape == (1, 64, 64)  # back at the size of the picture
    labels = panoptic % INSTANCE_OFFSET
    assert ((labels >= 0) & (labels <= len(CLASSES))).all()  # len(CLASSES) = VOID
