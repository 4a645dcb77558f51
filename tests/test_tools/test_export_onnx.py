"""ONNX export of RT-PanoNet's network (static shape) and its onnxruntime equivalence, through the tool."""
import importlib.util
import os.path as osp

import pytest

SYNTHETIC = 'configs/rt_panonet/rt-panonet_r18-tiny_fpn_synthetic-shapes.py'


def _tool(repo_root):
    path = osp.join(repo_root, 'tools', 'deployment', 'export_onnx.py')
    spec = importlib.util.spec_from_file_location('export_onnx', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_onnx_outputs_and_panoptic_maps_match_pytorch(repo_root, tmp_path):
    out = str(tmp_path / 'rt_panonet.onnx')
    report = _tool(repo_root).main([osp.join(repo_root, SYNTHETIC), '--shape', '128', '256', '--out', out])
    assert osp.getsize(out) > 0
    assert report['outputs'] == 17  # 3 x 5 levels, semantics, levelness
    assert report['max_abs_diff'] < 1e-4, report
    assert report['panoptic_identical'], report


def test_a_shape_off_the_size_divisor_is_refused_in_one_line(repo_root, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        _tool(repo_root).main([osp.join(repo_root, SYNTHETIC), '--shape', '100', '256', '--out',
                               str(tmp_path / 'm.onnx')])
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err == ('error: --shape: (100, 256) is not a multiple of the model\'s pad_size_divisor 128 '
                   '(use e.g. (128, 256))')
