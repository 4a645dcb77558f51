"""Installs mmpanoptic; a regular install carries configs, tools and the model index in ``mmpanoptic/.mim``."""
import os
import os.path as osp
import shutil
import sys
from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))
MIM_FILES = ['tools', 'configs', 'model-index.yml']


def get_version() -> str:
    scope = {}
    with open(osp.join(HERE, 'mmpanoptic', 'version.py')) as f:
        exec(compile(f.read(), 'mmpanoptic/version.py', 'exec'), scope)
    return scope['__version__']


def parse_requirements(fname: str) -> list:
    with open(osp.join(HERE, 'requirements', fname)) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith('#')]


def add_mim_extension() -> None:
    """Put configs, tools and model-index.yml under mmpanoptic/.mim.

    An editable install links them (edits are seen at once); a regular install or wheel build copies
    them so that ``mim download``/``mim train`` find them inside site-packages.
    """
    if 'develop' in sys.argv or any(a.startswith('editable') for a in sys.argv):
        mode = 'symlink'
    elif {'sdist', 'bdist_wheel', 'install', 'build', 'build_py'} & set(sys.argv):
        mode = 'copy'
    else:
        return
    mim_dir = osp.join(HERE, 'mmpanoptic', '.mim')
    os.makedirs(mim_dir, exist_ok=True)
    for name in MIM_FILES:
        src = osp.join(HERE, name)
        if not osp.exists(src):
            continue
        dst = osp.join(mim_dir, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_dir), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns('__pycache__', '*.pyc', 'work_dirs'))
        else:
            shutil.copyfile(src, dst)


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmpanoptic',
        version=get_version(),
        description='OpenMMLab plugin for real-time and transformer panoptic segmentation, image and video',
        long_description=open(osp.join(HERE, 'README.md')).read() if osp.exists(osp.join(HERE, 'README.md')) else '',
        long_description_content_type='text/markdown',
        license='Apache License 2.0',
        python_requires='>=3.8',
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'projects')),
        include_package_data=True,
        package_data={'mmpanoptic': ['.mim/**/*', '.mim/*']},
        install_requires=parse_requirements('runtime.txt'),
        extras_require={'tests': parse_requirements('tests.txt')},
        zip_safe=False,
    )
