"""Every tool answers ``--help`` before its heavy imports: exit status 0, usage printed, torch not imported."""
import glob
import importlib.util
import inspect
import os.path as osp
import subprocess

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = sorted(osp.relpath(path, REPO_ROOT)
               for path in glob.glob(osp.join(REPO_ROOT, 'tools', '**', '*.py'), recursive=True))

# Runs the tool as ``python TOOL --help`` would, then reports how it exited and whether torch was imported.
HELP_RUN = """
import runpy, sys
tool = sys.argv[1]
sys.argv = [tool, '--help']
code = 'returned'
try:
    runpy.run_path(tool, run_name='__main__')
except SystemExit as exit:
    code = exit.code
print(f'@@ exit={code!r} torch={"torch" in sys.modules}')
"""


def load_tool(relpath: str):
    spec = importlib.util.spec_from_file_location(osp.splitext(osp.basename(relpath))[0],
                                                  osp.join(REPO_ROOT, relpath))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('tool', TOOLS)
def test_help_without_torch(tool, python_exe):
    result = subprocess.run([python_exe, '-c', HELP_RUN, tool], cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    report = [line for line in result.stdout.splitlines() if line.startswith('@@ ')]
    assert report == ['@@ exit=0 torch=False'], (report, result.stderr[-3000:])
    assert result.stdout.startswith('usage: '), result.stdout[:500]


def test_the_list_covers_the_tools():
    assert len(TOOLS) >= 20 and {'tools/train.py', 'tools/test.py'} <= set(TOOLS)
    assert 'tools/analysis_tools/eval_video_panoptic.py' in TOOLS


def test_help_texts_agree_with_the_libraries():
    """The tools spell out what their --help shows without importing the library; it must stay the library's."""
    from mmpanoptic.datasets.synthetic_shapes import generate_image_dataset, generate_video_dataset
    from mmpanoptic.evaluation.functional import CLASS_MEANS, VIDEO_FORMATS

    shapes = load_tool('tools/dataset_converters/synthetic_shapes.py')
    for kind, generate in (('image', generate_image_dataset), ('video', generate_video_dataset)):
        parameters = inspect.signature(generate).parameters
        assert shapes.HELP_DEFAULTS[kind] == {name: parameters[name].default for name in shapes.HELP_DEFAULTS[kind]}
    video = load_tool('tools/analysis_tools/eval_video_panoptic.py')
    assert video.VIDEO_FORMATS == VIDEO_FORMATS and video.CLASS_MEANS == CLASS_MEANS
