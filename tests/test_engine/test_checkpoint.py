"""Training checkpoints load under torch>=2.6 with weights_only=True; foreign objects are refused."""
import os
import pickle
import re

import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint

import mmpanoptic.engine
from mmpanoptic.engine import UnsafeCheckpointError, mmengine_safe_globals


class _ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, x, y, mode='loss'):
        out = self.linear(x).squeeze(-1)
        if mode == 'loss':
            return dict(loss=((out - y)**2).mean())
        return out


class _ToyDataset(torch.utils.data.Dataset):
    metainfo = dict(classes=('a', 'b'), palette=[(1, 2, 3), (4, 5, 6)])

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return dict(x=torch.tensor([float(i), 1.0]), y=torch.tensor(float(i)))


def _runner(work_dir, max_epochs, resume=False, load_from=None, ema=True):
    return Runner(
        model=_ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=_ToyDataset(), batch_size=2, sampler=dict(type='DefaultSampler', shuffle=True),
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=0.01)),
        param_scheduler=[dict(type='LinearLR', by_epoch=False, begin=0, end=2),
                         dict(type='MultiStepLR', milestones=[1], by_epoch=True)],
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1)),
        custom_hooks=[dict(type='EMAHook')] if ema else [],
        randomness=dict(seed=0),
        resume=resume,
        load_from=load_from,
        default_scope='mmpanoptic')


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('toy')
    runner = _runner(work_dir, max_epochs=2)
    runner.train()
    return work_dir, runner


def test_training_checkpoint_needs_the_allowlist(trained):
    work_dir, _ = trained
    torch.serialization.clear_safe_globals()
    try:
        found = set(torch.serialization.get_unsafe_globals_in_checkpoint(str(work_dir / 'epoch_2.pth')))
    finally:
        mmpanoptic.engine.install_checkpoint_compat()
    assert 'mmengine.logging.history_buffer.HistoryBuffer' in found, 'the test must exercise the allow-list'
    assert found <= {name for _, name in mmengine_safe_globals()}


def test_weights_only_load_of_training_checkpoint(trained):
    work_dir, _ = trained
    checkpoint = torch.load(str(work_dir / 'epoch_2.pth'), weights_only=True)
    assert {'state_dict', 'optimizer', 'message_hub', 'param_schedulers', 'meta'} <= set(checkpoint)
    lr = checkpoint['message_hub']['log_scalars']['train/lr']
    assert len(lr.data[0]) > 0 and lr.mean() > 0
    assert checkpoint['meta']['dataset_meta']['classes'] == ('a', 'b')


def test_resume_continues_from_saved_iteration(trained):
    work_dir, _ = trained
    resumed = _runner(work_dir, max_epochs=3, resume=True)
    resumed.train()
    assert resumed.iter == 12 and resumed.epoch == 3
    saved = _load_checkpoint(str(work_dir / 'epoch_2.pth'))
    assert saved['meta']['iter'] == 8
    assert resumed.message_hub.get_scalar('train/lr').data[0].size > 0


def test_load_from_training_checkpoint(trained, tmp_path):
    work_dir, _ = trained
    runner = _runner(tmp_path, max_epochs=1, load_from=str(work_dir / 'epoch_2.pth'), ema=False)
    runner.load_or_resume()
    saved = _load_checkpoint(str(work_dir / 'epoch_2.pth'))['state_dict']
    loaded = runner.model.state_dict()
    assert set(saved) == set(loaded)
    for name, value in saved.items():
        assert torch.equal(value, loaded[name]), name


class _Payload:

    def __reduce__(self):
        return (os.system, ('echo should-not-run',))


def test_foreign_objects_are_refused_with_a_clear_error(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': _Payload()}, str(path))
    with pytest.raises(UnsafeCheckpointError, match=r'evil\.pth: not loaded.*posix\.system'):
        _load_checkpoint(str(path))
    assert isinstance(UnsafeCheckpointError('x'), pickle.UnpicklingError)


def test_getattr_is_restricted_to_history_buffer_statistics(tmp_path):
    path = tmp_path / 'getattr.pth'
    torch.save({'f': getattr(os, 'system')}, str(path))
    with pytest.raises(UnsafeCheckpointError, match='getattr.pth'):
        _load_checkpoint(str(path))


def _raw_getattr_payload() -> bytes:
    """``getattr(os, 'system')`` as a pickle writes it by hand (no torch container)."""
    return b"\x80\x02cbuiltins\ngetattr\n(cos\nsystem\nS'system'\ntR."


@pytest.mark.parametrize('kind', ['zip', 'legacy', 'raw_pickle', 'raw_getattr'])
def test_unsafe_error_names_the_global_and_never_suggests_weights_only_false(kind, tmp_path):
    path = tmp_path / f'{kind}.pth'
    if kind in ('zip', 'legacy'):
        torch.save({'state_dict': {}, 'payload': _Payload()}, str(path), _use_new_zipfile_serialization=kind == 'zip')
    elif kind == 'raw_pickle':
        path.write_bytes(pickle.dumps({'payload': _Payload()}, protocol=2))
    else:
        path.write_bytes(_raw_getattr_payload())
    with pytest.raises(UnsafeCheckpointError) as exc:
        _load_checkpoint(str(path))
    message = str(exc.value)
    assert message.startswith(f'{path}: not loaded')
    assert re.search(r'\((posix\.system|os\.system)\)', message), message
    assert 'weights_only' not in message and 'Weights only' not in message
