"""The model index: every metafile is imported, names equal config file names, configs load."""
import glob
import os.path as osp

import pytest
import yaml
from mmengine.config import Config


@pytest.fixture(scope='module')
def index(repo_root):
    with open(osp.join(repo_root, 'model-index.yml')) as f:
        return yaml.safe_load(f)


def test_every_metafile_is_imported(index, repo_root):
    metafiles = sorted(osp.relpath(p, repo_root) for p in glob.glob(osp.join(repo_root, 'configs/*/metafile.yml')))
    assert metafiles, 'no metafiles in configs/'
    assert sorted(index['Import']) == metafiles


def _models(repo_root, index):
    for metafile in index['Import']:
        with open(osp.join(repo_root, metafile)) as f:
            meta = yaml.safe_load(f)
        for model in meta['Models']:
            yield metafile, model


def test_metafile_entries(index, repo_root):
    names = set()
    for metafile, model in _models(repo_root, index):
        config = model['Config']
        assert osp.isfile(osp.join(repo_root, config)), f'{metafile}: {config} does not exist'
        assert model['Name'] == osp.splitext(osp.basename(config))[0], f'{metafile}: Name != file name'
        assert model['Name'] not in names, f'{metafile}: duplicate Name {model["Name"]}'
        names.add(model['Name'])
        if model.get('Weights'):
            assert model['Weights'].startswith(('http://', 'https://')), f'{metafile}: {model["Name"]}'
        for result in model.get('Results', []):
            assert result['Task'] and result['Dataset'] and result['Metrics'], f'{metafile}: {model["Name"]}'


def test_every_config_has_a_metafile_entry(index, repo_root):
    listed = {model['Config'] for _, model in _models(repo_root, index)}
    configs = {osp.relpath(p, repo_root) for p in glob.glob(osp.join(repo_root, 'configs/*/*.py'))
               if '_base_' not in p}
    assert sorted(configs - listed) == []


def test_every_config_loads(repo_root):
    configs = [p for p in glob.glob(osp.join(repo_root, 'configs/**/*.py'), recursive=True) if '_base_' not in p]
    for path in configs:
        cfg = Config.fromfile(path)
        assert cfg.get('default_scope') == 'mmpanoptic', path
        assert 'model' in cfg, path


def test_readme_model_zoo_is_current(repo_root, python_exe):
    import subprocess
    result = subprocess.run([python_exe, 'tools/misc/gen_model_zoo.py', '--check'], cwd=repo_root,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
