"""`mim download` end to end from a regular install, against a checkpoint served on 127.0.0.1."""
import functools
import http.server
import os
import os.path as osp
import shutil
import subprocess
import threading

import pytest
import torch
import yaml

COPY_IGNORE = shutil.ignore_patterns('.git', '.venv', 'work_dirs', 'data', '__pycache__', '*.egg-info', '.mim',
                                     'build', '.pytest_cache')


@pytest.fixture(scope='module')
def regular_install(tmp_path_factory, repo_root, python_exe):
    """``pip install`` (not editable) of a copy of the checkout into a private target folder."""
    tmp = tmp_path_factory.mktemp('mim')
    source = tmp / 'src'
    shutil.copytree(repo_root, source, ignore=COPY_IGNORE)
    target = tmp / 'site'
    subprocess.run([python_exe, '-m', 'pip', 'install', '--quiet', '--no-deps', '--no-build-isolation',
                    '--no-index', '--target', str(target), str(source)], check=True, capture_output=True)
    return target


def _first_model(mim_dir):
    with open(osp.join(mim_dir, 'model-index.yml')) as f:
        imports = yaml.safe_load(f)['Import']
    for metafile in imports:
        with open(osp.join(mim_dir, metafile)) as f:
            meta = yaml.safe_load(f)
        for model in meta['Models']:
            if model.get('Weights'):
                return metafile, meta, model
    pytest.fail('no model with Weights in the model index')


@pytest.fixture()
def loopback_server(tmp_path):
    root = tmp_path / 'served'
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()
    server.server_close()


def test_regular_install_ships_configs_tools_and_index(regular_install):
    mim_dir = regular_install / 'mmpanoptic' / '.mim'
    for name in ('model-index.yml', 'configs/_base_/default_runtime.py', 'tools/train.py', 'tools/test.py',
                 'tools/dist_train.sh'):
        assert (mim_dir / name).is_file(), name
    assert not (mim_dir / 'configs').is_symlink(), 'a regular install must copy, not link'


def test_mim_download_from_loopback(regular_install, loopback_server, tmp_path, python_exe):
    mim_dir = regular_install / 'mmpanoptic' / '.mim'
    metafile, meta, model = _first_model(mim_dir)
    filename = model['Weights'].split('/')[-1]
    assert model['Weights'].startswith(('http://', 'https://')), 'mim needs http(s) URLs'
    served, url = loopback_server
    weights = {'state_dict': {'w': torch.arange(6.0).reshape(2, 3)}, 'meta': {}}
    torch.save(weights, str(served / filename))
    model['Weights'] = f'{url}/{filename}'
    with open(mim_dir / metafile, 'w') as f:
        yaml.safe_dump(meta, f)

    dest = tmp_path / 'dest'
    env = dict(os.environ, PYTHONPATH=str(regular_install), NO_PROXY='127.0.0.1', no_proxy='127.0.0.1')
    result = subprocess.run([python_exe, '-m', 'mim', 'download', 'mmpanoptic', '--config', model['Name'],
                             '--dest', str(dest)], env=env, cwd=str(tmp_path), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    downloaded = dest / filename
    assert downloaded.read_bytes() == (served / filename).read_bytes()
    assert torch.equal(torch.load(str(downloaded))['state_dict']['w'], weights['state_dict']['w'])
    config = dest / f'{model["Name"]}.py'
    assert config.is_file()
    from mmengine.config import Config
    assert Config.fromfile(str(config)).get('default_scope') == 'mmpanoptic'


def test_mim_download_unknown_config_fails(regular_install, tmp_path, python_exe):
    env = dict(os.environ, PYTHONPATH=str(regular_install))
    result = subprocess.run([python_exe, '-m', 'mim', 'download', 'mmpanoptic', '--config', 'no_such_config',
                             '--dest', str(tmp_path)], env=env, cwd=str(tmp_path), capture_output=True,
                            text=True, timeout=300)
    assert result.returncode != 0
    assert 'no_such_config' in result.stdout + result.stderr


def test_mim_train_with_shipped_config(regular_install, tmp_path, python_exe):
    """`mim train mmpanoptic CONFIG` runs the packaged tools/train.py on a packaged config."""
    from mmpanoptic.datasets.synthetic_shapes import generate_image_dataset
    data_root = tmp_path / 'data'
    generate_image_dataset(str(data_root), seed=5, num_train=4, num_val=2, size=(64, 64))
    shipped = regular_install / 'mmpanoptic' / '.mim' / 'configs' / 'mask2former' / \
        'mask2former_r18_synthetic-shapes.py'
    config = tmp_path / 'mim_tiny.py'
    config.write_text(f"""
_base_ = ['{shipped}']
data_root = '{data_root}/'
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(data_root=data_root))
val_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/panoptic_val.json',
                     seg_prefix=data_root + 'annotations/panoptic_val/')
test_evaluator = val_evaluator
train_cfg = dict(max_iters=2, val_interval=100)
param_scheduler = []
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=2))
""")
    env = dict(os.environ, PYTHONPATH=str(regular_install), OMP_NUM_THREADS='1')
    result = subprocess.run([python_exe, '-m', 'mim', 'train', 'mmpanoptic', str(config), '--gpus', '0',
                             '--work-dir', str(tmp_path / 'work')], env=env, cwd=str(tmp_path),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert (tmp_path / 'work' / 'iter_2.pth').is_file()
