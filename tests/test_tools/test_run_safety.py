"""No silent wrong result, no lost run: the tools' config, resume, output and evaluation checks.

Every user error is asserted as the one line ``error: ...`` that ``main(argv)`` prints, in-process; the kill
during a checkpoint save runs in a subprocess.
"""
import importlib.util
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys

import pytest
import torch

from mmpanoptic.datasets.synthetic_shapes import generate_image_dataset
from mmpanoptic.evaluation.metrics import load_predictions

TINY = 'projects/example_project/configs/mask2former_tinyconv_synthetic-shapes.py'


def _tool(repo_root: str, name: str):
    spec = importlib.util.spec_from_file_location(f'tool_{name}', osp.join(repo_root, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _main(repo_root: str, name: str, argv):
    cwd = os.getcwd()
    os.chdir(repo_root)
    try:
        return _tool(repo_root, name).main(argv)
    finally:
        os.chdir(cwd)


def _error_line(repo_root, name, argv, capsys) -> str:
    with pytest.raises(SystemExit) as exc:
        _main(repo_root, name, argv)
    assert exc.value.code == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith('error: ')]
    assert len(lines) == 1, err[-3000:]
    return lines[0]


@pytest.fixture(scope='module')
def other_data(tmp_path_factory):
    """A second generated dataset, same layout and file names as the one of ``small_config``."""
    root = tmp_path_factory.mktemp('other') / 'data'
    generate_image_dataset(str(root), seed=11, num_train=8, num_val=4, size=(64, 64))
    return root


# ---------------------------------------------------------------- config keys, before anything is built
@pytest.mark.parametrize('option, expected', [
    ('load_form=x.pth', r'"load_form" \(did you mean "load_from"\?\)'),
    ('modle.x=1', r'"modle" \(did you mean "model"\?\)'),
    ('train_cgf.max_iters=1', r'"train_cgf" \(did you mean "train_cfg"\?\)'),
    ('optimizer.lr=0.1', r'"optimizer" \(an mmdet 2\.x key that mmengine ignores; use optim_wrapper'),
    ('lr_config.policy=step', r'"lr_config" \(an mmdet 2\.x key .*use param_scheduler'),
    ('runner.max_iters=1', r'"runner" \(an mmdet 2\.x key .*use train_cfg'),
    ('data.samples_per_gpu=1', r'"data" \(an mmdet 2\.x key .*use train_dataloader'),
    ('evaluation.interval=1', r'"evaluation" \(an mmdet 2\.x key .*use val_evaluator'),
    ('checkpoint_config.interval=1', r'"checkpoint_config" \(an mmdet 2\.x key .*use default_hooks\.checkpoint'),
    ('log_config.interval=1', r'"log_config" \(an mmdet 2\.x key .*use default_hooks\.logger'),
    ('default_hooks.checkpoint.intervel=2',
     r'default_hooks\.checkpoint\.intervel: CheckpointHook has no argument "intervel" \(did you mean "interval"\?\)'),
    ('train_dataloader.batch_szie=2',
     r'train_dataloader\.batch_szie: DataLoader has no argument "batch_szie" \(did you mean "batch_size"\?\)'),
    ('model.panoptic_head.num_querys=4', r'model\.panoptic_head\.num_querys: \w+ has no argument "num_querys" '
     r'\(did you mean "num_queries"\?\)'),
    ('optim_wrapper.optimizer.lrr=0.1', r'optim_wrapper\.optimizer\.lrr: AdamW has no argument "lrr"'),
    ('train_cfg.max_iter=3', r'train_cfg\.max_iter: IterBasedTrainLoop has no argument "max_iter" '
     r'\(did you mean "max_iters"\?\)'),
])
def test_train_refuses_misspelt_and_legacy_keys(option, expected, small_config, repo_root, tmp_path, capsys):
    line = _error_line(repo_root, 'train', [str(small_config), '--work-dir', str(tmp_path), '--cfg-options', option],
                       capsys)
    assert str(small_config) in line and re.search(expected, line), line
    assert not list(tmp_path.iterdir())  # stopped before the runner made anything


def test_nested_typo_in_a_resnet_config(small_config, tiny_config, repo_root, tmp_path, capsys):
    config = tiny_config(tmp_path, 'configs/knet/knet_s3_r18-tiny_fpn_synthetic-shapes.py',
                         small_config.parent / 'data')
    line = _error_line(repo_root, 'train', [str(config), '--work-dir', str(tmp_path / 'w'), '--cfg-options',
                                            'model.backbone.dpeth=18'], capsys)
    assert re.search(r'model\.backbone\.dpeth: ResNet has no argument "dpeth" \(did you mean "depth"\?\)', line)


@pytest.mark.parametrize('case', ['amp', 'auto_scale_lr', 'syntax', 'work_dir_is_file'])
def test_train_flag_and_file_errors(case, small_config, repo_root, tmp_path, capsys):
    config, argv = str(small_config), []
    work_dir = tmp_path / 'work'
    if case == 'amp':
        if torch.cuda.is_available():
            pytest.skip('CUDA is available: --amp is valid')
        argv, expected = ['--amp'], r'--amp: mixed precision training needs a CUDA device'
    elif case == 'auto_scale_lr':
        argv = ['--auto-scale-lr', '--cfg-options', 'auto_scale_lr=None']
        expected = r'--auto-scale-lr needs auto_scale_lr = dict\(base_batch_size=N\)'
    elif case == 'syntax':
        broken = tmp_path / 'broken.py'
        broken.write_text(f"_base_ = ['{small_config}']\nmodel = dict(\n")
        config, expected = str(broken), r'broken\.py: syntax error'
    else:
        work_dir.write_text('')
        expected = r'--work-dir .*work: is a file, not a folder'
    line = _error_line(repo_root, 'train', [config, '--work-dir', str(work_dir)] + argv, capsys)
    assert re.search(expected, line), line


# ---------------------------------------------------------------- resume
def _copy_checkpoints(dist_trained, tmp_path):
    work_dir, _ = dist_trained
    for name in ('iter_2.pth', 'iter_4.pth'):
        shutil.copy(work_dir / name, tmp_path / name)
    return tmp_path


def test_resume_falls_back_to_the_newest_readable_checkpoint(dist_trained, tmp_path):
    from mmpanoptic.engine import resume_checkpoint
    folder = _copy_checkpoints(dist_trained, tmp_path)
    data = (folder / 'iter_4.pth').read_bytes()
    (folder / 'iter_4.pth').write_bytes(data[:len(data) // 2])
    (folder / 'iter_6.pth.part').write_bytes(data)  # an unfinished save is never taken
    (folder / 'last_checkpoint').write_text(str(folder / 'iter_4.pth'))
    found, notes = resume_checkpoint(str(folder))
    assert found == str(folder / 'iter_2.pth')
    assert 'iter_4.pth: truncated or corrupt zip archive' in notes[0] and 'resuming from' in notes[-1]
    (folder / 'last_checkpoint').write_text(str(folder / 'iter_2.pth'))
    assert resume_checkpoint(str(folder)) == (str(folder / 'iter_2.pth'), [])
    assert resume_checkpoint(str(tmp_path / 'empty')) == (None, [])


def test_resume_on_an_empty_work_dir_says_so_and_starts_from_scratch(small_config, repo_root, tmp_path, capsys):
    _main(repo_root, 'train', [str(small_config), '--work-dir', str(tmp_path), '--resume', '--cfg-options',
                               'train_cfg.max_iters=1', 'default_hooks.checkpoint.interval=1'])
    out = capsys.readouterr().out
    assert re.search(r'--resume: no checkpoint in .* to resume from; training starts from scratch', out)
    assert 'Auto resumed from the latest checkpoint None' not in out
    assert torch.load(tmp_path / 'iter_1.pth', weights_only=True)['meta']['iter'] == 1


@pytest.mark.parametrize('case', ['release_file', 'other_model'])
def test_resume_refuses_files_without_training_state(case, dist_trained, small_config, tiny_config, repo_root,
                                                     tmp_path, capsys):
    work_dir, _ = dist_trained
    config = str(small_config)
    if case == 'release_file':
        checkpoint = tmp_path / 'release.pth'
        state = torch.load(work_dir / 'iter_4.pth', weights_only=True)['state_dict']
        torch.save(dict(state_dict=state), checkpoint)
        expected = r'release\.pth: not a training checkpoint .*--cfg-options load_from='
    else:
        checkpoint = work_dir / 'iter_4.pth'
        config = str(tiny_config(tmp_path, 'configs/knet/knet_s3_r18-tiny_fpn_synthetic-shapes.py',
                                 small_config.parent / 'data'))
        expected = r'iter_4\.pth: .*(another|does not fit)'
    line = _error_line(repo_root, 'train', [config, '--work-dir', str(tmp_path / 'w'), '--resume', str(checkpoint)],
                       capsys)
    assert re.search(expected, line), line


KILL_DURING_SAVE = """
import os, sys
import mmengine.runner.runner as runner_module
real_save = runner_module.save_checkpoint
def save_then_die(checkpoint, filename, **kwargs):
    if checkpoint['meta']['iter'] == 4:  # a kill -9 half-way through writing the second checkpoint
        real_save(checkpoint, filename, **kwargs)
        data = open(filename, 'rb').read()
        open(filename, 'wb').write(data[:len(data) // 2])
        os._exit(137)
    real_save(checkpoint, filename, **kwargs)
runner_module.save_checkpoint = save_then_die
sys.argv = ['tools/train.py'] + sys.argv[1:]
import runpy
runpy.run_path('tools/train.py', run_name='__main__')
"""


def test_kill_during_checkpoint_save_then_resume(small_config, repo_root, python_exe, tmp_path):
    """Fault injection: the process dies while writing iter_4; the run resumes from iter_2 and finishes."""
    work_dir = tmp_path / 'work'
    env = dict(os.environ, OMP_NUM_THREADS='1')
    args = [str(small_config), '--work-dir', str(work_dir)]
    killed = subprocess.run([python_exe, '-c', KILL_DURING_SAVE] + args, cwd=repo_root, env=env, capture_output=True,
                            text=True, timeout=600)
    assert killed.returncode == 137, killed.stdout[-2000:] + killed.stderr[-2000:]
    assert not (work_dir / 'iter_4.pth').exists() and (work_dir / 'iter_4.pth.part').exists()
    assert (work_dir / 'last_checkpoint').read_text().strip().endswith('iter_2.pth')
    resumed = subprocess.run([python_exe, 'tools/train.py'] + args + ['--resume'], cwd=repo_root, env=env,
                             capture_output=True, text=True, timeout=600)
    log = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, log[-3000:]
    assert re.search(r'resumed epoch: \d+, iter: 2', log), log[-3000:]
    assert torch.load(work_dir / 'iter_4.pth', weights_only=True)['meta']['iter'] == 4


# ---------------------------------------------------------------- test tool: outputs checked first, right GT
@pytest.mark.parametrize('case', ['pkl', 'out_under_file', 'show_dir_under_file'])
def test_test_tool_checks_outputs_before_the_run(case, dist_trained, small_config, repo_root, tmp_path, capsys):
    work_dir, _ = dist_trained
    blocker = tmp_path / 'a_file'
    blocker.write_text('')
    argv = {
        'pkl': ['--out', str(tmp_path / 'results.pkl')],
        'out_under_file': ['--out', str(blocker / 'results.pth')],
        'show_dir_under_file': ['--show-dir', str(blocker / 'vis')],
    }[case]
    expected = {
        'pkl': r'--out .*results\.pkl: .*name the file \*\.pth',
        'out_under_file': r'--out .*results\.pth: .*a_file: is a file',
        'show_dir_under_file': r'--show-dir .*vis: .*a_file is a file',
    }[case]
    line = _error_line(repo_root, 'test', [str(small_config), str(work_dir / 'iter_4.pth'), '--work-dir',
                                           str(tmp_path / 'w')] + argv, capsys)
    assert re.search(expected, line), line
    assert not (tmp_path / 'w').exists()


def test_overriding_the_dataset_root_evaluates_that_dataset(dist_trained, small_config, other_data, repo_root,
                                                            tmp_path, capsys):
    """GT comes from the dataset evaluated: overriding its data_root gives the PQ of the other data."""
    work_dir, _ = dist_trained
    checkpoint = str(work_dir / 'iter_4.pth')
    plain = tmp_path / 'plain.py'  # the evaluator without its own ann_file, as in the shipped configs
    plain.write_text(f"_base_ = ['{small_config}']\nval_evaluator = dict(_delete_=True, type='PanopticQualityMetric')\n"
                     'test_evaluator = val_evaluator\n')
    direct = tmp_path / 'direct.py'
    direct.write_text(f"_base_ = ['{plain}']\ntest_dataloader = dict(dataset=dict(data_root='{other_data}/'))\n")
    out = tmp_path / 'predictions.pth'
    overridden = _main(repo_root, 'test', [str(plain), checkpoint, '--work-dir', str(tmp_path / 'a'), '--out', str(out),
                                           '--cfg-options', f'test_dataloader.dataset.data_root={other_data}/'])
    expected = _main(repo_root, 'test', [str(direct), checkpoint, '--work-dir', str(tmp_path / 'b')])
    assert overridden == pytest.approx(expected, abs=1e-9)
    assert all(p['img_path'].startswith(str(other_data)) for p in load_predictions(str(out)))
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r'PQ \d+\.\d \| things \d+\.\d \| stuff \d+\.\d', summary), summary


def test_evaluator_ground_truth_that_disagrees_with_the_dataset_is_refused(dist_trained, small_config, other_data,
                                                                           repo_root, tmp_path, capsys):
    work_dir, _ = dist_trained
    line = _error_line(repo_root, 'test', [str(small_config), str(work_dir / 'iter_4.pth'), '--work-dir',
                                           str(tmp_path), '--cfg-options',
                                           f'test_dataloader.dataset.data_root={other_data}/'], capsys)
    assert re.search(r"evaluator's ground-truth folder is not the one of the dataset it evaluates", line), line


def test_duplicate_image_id_in_the_evaluator_annotations_is_refused(dist_trained, small_config, repo_root, tmp_path,
                                                                    capsys):
    work_dir, _ = dist_trained
    ann_file = small_config.parent / 'data' / 'annotations' / 'panoptic_val.json'
    content = json.loads(ann_file.read_text())
    content['annotations'].append(content['annotations'][0])
    duplicated = tmp_path / 'dup.json'
    duplicated.write_text(json.dumps(content))
    line = _error_line(repo_root, 'test', [str(small_config), str(work_dir / 'iter_4.pth'), '--work-dir',
                                           str(tmp_path), '--cfg-options', f'test_evaluator.ann_file={duplicated}'],
                       capsys)
    assert re.search(r'dup\.json: image_id .* has two annotations', line), line


def test_partial_evaluation_is_reported_as_partial(dist_trained, small_config, repo_root, tmp_path, capsys):
    work_dir, _ = dist_trained
    metrics = _main(repo_root, 'test', [str(small_config), str(work_dir / 'iter_4.pth'), '--work-dir', str(tmp_path),
                                        '--cfg-options', 'test_dataloader.dataset.indices=2'])
    assert metrics['coco_panoptic/partial_images'] == 2 and metrics['coco_panoptic/total_images'] == 4
    out = capsys.readouterr().out
    assert 'PARTIAL evaluation: PQ over 2 of the 4 images' in out
    assert out.strip().splitlines()[-1].endswith('| PARTIAL: 2 of 4 images')


def test_two_runners_of_one_config_in_one_second_keep_their_own_loggers(small_config, tmp_path, monkeypatch):
    """mmengine names a runner's logger after the config and the second; a second runner in the same second
    gets its own instance (else its messages, the PARTIAL warning among them, go to the first one's stream)."""
    import mmengine.runner.runner as mmengine_runner

    from mmpanoptic.cli import load_config
    from mmpanoptic.engine.runner import build_runner
    monkeypatch.setattr(mmengine_runner.time, 'time', lambda: 1700000000.0)
    runners = []
    for i in range(2):
        cfg = load_config(str(small_config))
        cfg.work_dir = str(tmp_path / f'run{i}')
        runners.append(build_runner(cfg))
    assert runners[0].timestamp == runners[1].timestamp
    assert runners[0].logger is not runners[1].logger
    assert runners[1].experiment_name == runners[0].experiment_name + '_2'


# ---------------------------------------------------------------- import path
def test_config_loading_leaves_the_import_path_alone(small_config, repo_root, python_exe, tmp_path):
    from mmpanoptic.cli import load_config
    before = list(sys.path)
    load_config(str(small_config))  # has custom_imports of the example project
    assert sys.path == before
    marker = tmp_path / 'ran'
    for name in ('getopt', 'tempfile', 'platform'):
        (tmp_path / f'{name}.py').write_text(f'open({str(marker)!r}, "w").close()\n')
    result = subprocess.run([python_exe, osp.join(repo_root, 'tools', 'test.py'), str(small_config),
                             str(tmp_path / 'missing.pth')], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and 'missing.pth" does not exist' in result.stderr, result.stderr[-2000:]
    assert not marker.exists()


# ---------------------------------------------------------------- training curves
def test_tensorboard_backend_writes_event_files(small_config, repo_root, tmp_path):
    pytest.importorskip('tensorboard')
    _main(repo_root, 'train', [str(small_config), '--work-dir', str(tmp_path), '--vis-backend', 'tensorboard',
                               '--cfg-options', 'train_cfg.max_iters=2', 'default_hooks.checkpoint.interval=2',
                               'visualizer.name=tensorboard_test'])  # a new visualizer instance in this process
    events = list(tmp_path.glob('*/vis_data/events.out.tfevents.*'))
    scalars = list(tmp_path.glob('*/vis_data/scalars.json'))  # the local backend stays
    assert len(events) == 1 and events[0].stat().st_size > 0 and len(scalars) == 1
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    accumulator = EventAccumulator(str(events[0].parent))
    accumulator.Reload()
    assert {'loss', 'lr'} <= set(accumulator.Tags()['scalars'])
    assert [e.step for e in accumulator.Scalars('loss')] == [1, 2]


def test_summary_line_of_video_runs_names_a_partial_run(repo_root):
    tool = _tool(repo_root, 'test')
    metrics = {'video_panoptic/VPQ': 50.13, 'video_panoptic/VPQ_th': 40.0, 'video_panoptic/VPQ_st': 60.0,
               'video_panoptic/STQ': 70.71, 'video_panoptic/AQ': 50.0, 'video_panoptic/partial_videos': 1,
               'video_panoptic/total_videos': 3}
    assert tool.summary_line(metrics) == ('VPQ 50.1 | things 40.0 | stuff 60.0 | STQ 70.7 | AQ 50.0 | '
                                          'PARTIAL: 1 of 3 videos')
