"""tools/train.py, tools/dist_train.sh (2 CPU processes, gloo), --resume, tools/test.py and their errors."""
import importlib.util
import os
import os.path as osp
import re
import subprocess

import cv2
import pytest
import torch

from mmpanoptic.evaluation.metrics import load_predictions


def _run(args, repo_root, python_exe, timeout=600, **env):
    full_env = dict(os.environ, PYTHON=python_exe, OMP_NUM_THREADS='1', **env)
    return subprocess.run(args, cwd=repo_root, env=full_env, capture_output=True, text=True, timeout=timeout)


def test_two_process_cpu_training(dist_trained):
    work_dir, log = dist_trained
    assert 'Distributed training: True' in log
    assert 'Processes: 2 (CPU, no CUDA)' in log and 'GPU number' not in log
    assert not list(work_dir.glob('*.part'))  # checkpoints are renamed into place when complete
    assert (work_dir / 'iter_2.pth').is_file() and (work_dir / 'iter_4.pth').is_file()
    checkpoint = torch.load(str(work_dir / 'iter_4.pth'), weights_only=False)
    assert checkpoint['meta']['iter'] == 4
    losses = [float(x) for x in re.findall(r'Iter\(train\) \[\s*\d+/4\].*?\bloss: ([0-9.]+)', log)]
    assert len(losses) == 4 and all(x > 0 for x in losses)


def test_resume_continues_from_saved_iteration(dist_trained, small_config, repo_root, python_exe, free_port):
    work_dir, _ = dist_trained
    result = _run(['bash', 'tools/dist_train.sh', str(small_config), '2', '--work-dir', str(work_dir), '--resume',
                   '--cfg-options', 'train_cfg.max_iters=6'], repo_root, python_exe, PORT=str(free_port()))
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert re.search(r'resumed epoch: \d+, iter: 4', log), log[-3000:]
    iters = [int(x) for x in re.findall(r'Iter\(train\) \[\s*(\d+)/6\]', log)]
    assert iters == [5, 6]
    assert (work_dir / 'iter_6.pth').is_file()


def test_test_tool_reports_pq_and_writes_outputs(dist_trained, small_config, repo_root, python_exe, tmp_path):
    work_dir, _ = dist_trained
    out = tmp_path / 'preds.pth'
    result = _run([python_exe, 'tools/test.py', str(small_config), str(work_dir / 'iter_4.pth'), '--work-dir',
                   str(tmp_path), '--out', str(out), '--show-dir', 'vis'], repo_root, python_exe)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    match = re.search(r'coco_panoptic/PQ: ([0-9.]+)', log)
    assert match and 0.0 <= float(match.group(1)) <= 100.0
    predictions = load_predictions(str(out))
    assert len(predictions) == 4 and predictions[0]['pred_panoptic_seg']['sem_seg'].shape == (1, 64, 64)
    summary = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r'PQ \d+\.\d \| things \d+\.\d \| stuff \d+\.\d', summary), summary
    assert 'Config:' not in result.stdout and 'Hooks will be executed' not in result.stdout
    files = [osp.join(root, f) for root, _, names in os.walk(tmp_path) for f in names]
    pictures = [f for f in files if osp.basename(osp.dirname(f)) == 'vis']
    assert len(pictures) == 4 and all(f.endswith('.png') for f in pictures), files
    picture = cv2.imread(pictures[0])
    assert picture.shape == (256, 3 * 256 + 2 * 4, 3)  # image | ground truth | prediction, 64 px enlarged 4x


@pytest.mark.parametrize('case', ['missing_checkpoint', 'missing_config', 'unknown_type', 'misspelt_key',
                                  'missing_data_root', 'mismatched_checkpoint'])
def test_user_errors_are_one_clear_line(case, small_config, dist_trained, repo_root, tmp_path, capsys):
    """In-process through ``main(argv)``; ``test_test_tool_reports_pq_and_writes_outputs`` is the subprocess run."""
    work_dir, _ = dist_trained
    config, checkpoint, options = str(small_config), str(work_dir / 'iter_4.pth'), []
    expected = {
        'missing_checkpoint': r'checkpoint ".*nope\.pth" does not exist',
        'missing_config': r'config file "nope\.py" does not exist',
        'unknown_type': r'NoSuchBackbone is not in the mmpanoptic::model registry',
        'misspelt_key': r'unknown top-level key\(s\) "trian_dataloader" \(did you mean "train_dataloader"\?\)',
        'missing_data_root': r'test_dataloader\.dataset\.data_root "/no/such/root" does not exist',
        'mismatched_checkpoint': r'bad\.pth: does not fit the model of this config: missing keys \(\d+\): backbone',
    }[case]
    if case == 'missing_checkpoint':
        checkpoint = str(tmp_path / 'nope.pth')
    elif case == 'missing_config':
        config = 'nope.py'
    elif case == 'unknown_type':
        options = ['--cfg-options', 'model.backbone.type=NoSuchBackbone']
    elif case == 'misspelt_key':
        options = ['--cfg-options', 'trian_dataloader.batch_size=1']
    elif case == 'missing_data_root':
        options = ['--cfg-options', 'test_dataloader.dataset.data_root=/no/such/root']
    elif case == 'mismatched_checkpoint':
        state = torch.load(checkpoint, weights_only=False)['state_dict']
        bad = {k.replace('backbone.', 'trunk.'): v for k, v in state.items()}
        checkpoint = str(tmp_path / 'bad.pth')
        torch.save({'state_dict': bad}, checkpoint)
    spec = importlib.util.spec_from_file_location('test_tool', osp.join(repo_root, 'tools', 'test.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    cwd = os.getcwd()
    os.chdir(repo_root)
    try:
        with pytest.raises(SystemExit) as exc:
            tool.main([config, checkpoint, '--work-dir', str(tmp_path)] + options)
    finally:
        os.chdir(cwd)
    assert exc.value.code == 1
    stderr = capsys.readouterr().err
    error_lines = [line for line in stderr.splitlines() if line.startswith('error: ')]
    assert len(error_lines) == 1 and re.search(expected, error_lines[0]), stderr[-2000:]
