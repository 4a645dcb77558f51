"""get_flops, benchmark, benchmark_panoptic_segformer, analyze_logs and publish_model on small inputs, in-process."""
import json
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

from mmpanoptic.errors import DataError
from mmpanoptic.utils import register_all_modules
from mmpanoptic.utils.benchmark import benchmark_test_step

CONFIG = 'configs/mask2former/mask2former_r18_synthetic-shapes.py'


@pytest.fixture(autouse=True)
def _chdir(monkeypatch, repo_root):
    monkeypatch.chdir(repo_root)
    register_all_modules()


def _load_tool(repo_root, relpath):
    import importlib.util
    spec = importlib.util.spec_from_file_location(osp.splitext(osp.basename(relpath))[0],
                                                  osp.join(repo_root, relpath))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_get_flops_counts_and_scales_with_input(repo_root, capsys):
    tool = _load_tool(repo_root, 'tools/analysis_tools/get_flops.py')
    small = tool.main([CONFIG, '--shape', '64', '64'])
    large = tool.main([CONFIG, '--shape', '128', '128'])
    assert small['params'] == large['params'] > 1e5
    assert 3.0 < large['flops'] / small['flops'] < 5.0, 'FLOPs of a conv net grow with the pixel count'
    assert 'FLOPs:' in capsys.readouterr().out


def test_benchmark_reports_latency_and_fps(repo_root, tmp_path):
    tool = _load_tool(repo_root, 'tools/analysis_tools/benchmark.py')
    out = tmp_path / 'bench.json'
    result = tool.main([CONFIG, '--shape', '64', '96', '--warmup', '1', '--iters', '2', '--device', 'cpu',
                        '--out', str(out)])
    assert result['iters'] == 2 and result['shape'] == [64, 96] and result['device_name'] == 'cpu'
    assert result['latency_ms_median'] > 0
    assert result['fps'] == pytest.approx(1000.0 / result['latency_ms_median'])
    assert json.loads(out.read_text())['precision'] == 'fp32'
    with pytest.raises(ValueError, match='fp16 autocast needs CUDA'):
        benchmark_test_step(None, (64, 64), 'cpu', 'fp16', 0, 1)


def test_analyze_logs(repo_root, tmp_path, capsys):
    tool = _load_tool(repo_root, 'tools/analysis_tools/analyze_logs.py')
    log = tmp_path / 'scalars.json'
    lines = [dict(lr=0.1, loss=2.0 - 0.1 * i, time=0.5 + 0.1 * (i % 2), iter=i + 1, step=i + 1) for i in range(6)]
    lines.append(dict(**{'coco_panoptic/PQ': 42.0}, step=6))
    log.write_text('\n'.join(json.dumps(x) for x in lines) + '\n')
    tool.main(['cal_train_time', str(log)])
    out = capsys.readouterr().out
    assert '6 logged iterations, mean 0.5500 s/iter, slowest 0.6000, fastest 0.5000' in out
    png = tmp_path / 'curve.png'
    tool.main(['plot_curve', str(log), '--keys', 'loss', 'coco_panoptic/PQ', '--out', str(png)])
    assert png.stat().st_size > 1000
    with pytest.raises(DataError, match='no "PQ" in the log'):
        tool.plot_curve([str(log)], ['PQ'], str(png))
    bad = tmp_path / 'bad.json'
    bad.write_text('{"loss": 1}\nnot json\n')
    with pytest.raises(DataError, match=r'bad\.json:2: not a JSON line'):
        tool.load_log(str(bad))


def test_publish_model_strips_training_state(repo_root, tmp_path):
    tool = _load_tool(repo_root, 'tools/model_converters/publish_model.py')
    buffer = HistoryBuffer()
    buffer.update(np.float64(0.5))
    checkpoint = dict(
        state_dict={'w': torch.ones(2)},
        ema_state_dict={'steps': torch.tensor(3), 'module.w': torch.full((2, ), 2.0)},
        optimizer={'state': {}, 'param_groups': []},
        message_hub={'log_scalars': {'train/lr': buffer}},
        meta=dict(iter=10, seed=0, dataset_meta={'classes': ('a', )}, cfg='a long config text'))
    src = tmp_path / 'iter_10.pth'
    torch.save(checkpoint, str(src))
    final = tool.main([str(src), str(tmp_path / 'out' / 'model.pth')])
    assert re.fullmatch(r'model-[0-9a-f]{8}\.pth', osp.basename(final))
    assert osp.basename(final)[6:14] == tool.sha256_prefix(final)
    published = torch.load(final, weights_only=True)
    assert set(published) == {'state_dict', 'meta'}
    assert set(published['meta']) == {'iter', 'seed', 'dataset_meta'}
    assert torch.equal(published['state_dict']['w'], torch.ones(2))
    ema = tool.process_checkpoint(str(src), str(tmp_path / 'ema.pth'), use_ema=True)
    assert torch.equal(torch.load(ema)['state_dict']['w'], torch.full((2, ), 2.0))
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        tool.process_checkpoint(str(tmp_path / 'nope.pth'), str(tmp_path / 'x.pth'))


def test_panoptic_segformer_benchmark_times_model_and_merge(repo_root, tmp_path):
    tool = _load_tool(repo_root, 'tools/analysis_tools/benchmark_panoptic_segformer.py')
    out = tmp_path / 'psf.json'
    result = tool.main(['--models', 'psf', '--precisions', 'fp32', '--shape', '64', '96', '--warmup', '0',
                        '--repeat', '1', '--device', 'cpu', '--out', str(out)])
    (model, ) = result['models']
    assert model['model'] == 'Panoptic SegFormer R-50' and model['shape'] == [64, 96]
    assert model['latency_ms_median'] > 0 and model['ratio_to_psf'] == 1.0
    merge = result['merge']
    assert (merge['things'], merge['stuff'], merge['ori_shape']) == (100, 53, [64, 96])
    assert 0 < merge['segments'] <= 153 and merge['latency_ms_median'] > 0
    saved = json.loads(out.read_text())
    assert saved['merge']['test_cfg']['merge'] == 'paint' and saved['models'][0]['precision'] == 'fp32'


def test_rt_panonet_benchmark_masks_part_reports_time_and_peak_memory(repo_root, capsys):
    """The mask construction alone at a small size: the peak allocation is at least the (P, h/4, w/4) scores,
    and making the full-resolution masks of every query allocates more."""
    tool = _load_tool(repo_root, 'tools/analysis_tools/benchmark_rt_panonet.py')
    rows = tool.main(['--parts', 'masks', '--shapes', '256', '512', '--queries', '20', '--iters', '1',
                      '--warmup', '0', '--device', 'cpu'])
    at_quarter, full = rows
    assert at_quarter['scores_mb'] == 20 * 64 * 128 * 4 / 2**20
    assert at_quarter['peak_mb'] >= at_quarter['scores_mb'] and full['peak_mb'] > at_quarter['peak_mb']
    assert at_quarter['latency_ms'] > 0 and '| masks |' in capsys.readouterr().out


def test_rt_panonet_benchmark_refuses_sizes_off_128(repo_root, capsys):
    tool = _load_tool(repo_root, 'tools/analysis_tools/benchmark_rt_panonet.py')
    with pytest.raises(SystemExit):
        tool.main(['--shapes', '1000', '2048'])
    assert capsys.readouterr().err.strip() == ('error: --shapes: [1000, 2048] has a size that is not a multiple of '
                                               '128 (RT-PanoNet pads to 128; give padded sizes)')
