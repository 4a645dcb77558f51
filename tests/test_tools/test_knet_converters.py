"""tools/model_converters/{knet,rtknet}_to_mmpanoptic.py on small official-layout checkpoints."""
import importlib.util
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config

from mmpanoptic.registry import MODELS
from mmpanoptic.utils import register_all_modules

register_all_modules()
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _tool():
    spec = importlib.util.spec_from_file_location(
        'knet_to_mmpanoptic', osp.join(ROOT, 'tools/model_converters/knet_to_mmpanoptic.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fails(capsys, *argv, **kwargs):
    with pytest.raises(SystemExit) as exc:
        _tool().main(list(argv), **kwargs)
    assert exc.value.code == 1
    return capsys.readouterr().err


def _synthetic_knet():
    return MODELS.build(Config.fromfile(osp.join(ROOT, 'configs/knet/knet_s3_r18-tiny_fpn_synthetic-shapes.py')).model)


def test_knet_converter_round_trip(tmp_path):
    model = _synthetic_knet()
    ours = model.state_dict()
    official = {re.sub(r'^panoptic_head\.iter_head\.stages\.', 'roi_head.mask_head.',
                       re.sub(r'^panoptic_head\.rpn_head\.', 'rpn_head.', k)): v for k, v in ours.items()}
    torch.save(dict(state_dict=official, meta=dict()), tmp_path / 'official.pth')
    assert _tool().main([str(tmp_path / 'official.pth'), str(tmp_path / 'out.pth')]) == len(ours)
    converted = torch.load(tmp_path / 'out.pth')['state_dict']
    fresh = _synthetic_knet()
    fresh.load_state_dict(converted, strict=True)
    for key, value in ours.items():
        assert torch.equal(fresh.state_dict()[key], value)


def test_converters_reject_other_checkpoints(tmp_path, capsys):
    out = str(tmp_path / 'out.pth')
    torch.save(dict(state_dict={'backbone.conv1.weight': torch.zeros(1)}), tmp_path / 'other.pth')
    assert 'neither K-Net nor RT-K-Net' in _fails(capsys, str(tmp_path / 'other.pth'), out, family='rtknet')
    torch.save(dict(model={'sem_seg_head.init_kernels.weight': torch.zeros(2, 4, 1, 1)}), tmp_path / 'rt.pth')
    assert 'holds a rtknet model' in _fails(capsys, str(tmp_path / 'rt.pth'), out)
    assert 'does not exist' in _fails(capsys, str(tmp_path / 'missing.pth'), out)


def test_rtknet_converter_reorders_classes(tmp_path):
    weight = torch.arange(5.)[:, None].expand(5, 3).contiguous()
    torch.save(dict(model={'sem_seg_head.heads.0.fc_cls.3.weight': weight}), tmp_path / 'rt.pth')
    _tool().main([str(tmp_path / 'rt.pth'), str(tmp_path / 'out.pth'), '--num-stuff', '2'], family='rtknet')
    converted = torch.load(tmp_path / 'out.pth')['state_dict']
    assert converted['panoptic_head.iter_head.stages.0.fc_cls.weight'][:, 0].tolist() == [2, 3, 4, 0, 1]
