"""Environment report for bug reports: ``python -m mmpanoptic.utils.collect_env``."""
from mmengine.utils import get_git_hash
from mmengine.utils.dl_utils import collect_env as collect_base_env

import mmpanoptic


def collect_env() -> dict:
    """Return mmengine's environment report plus the versions of every OpenMMLab package used."""
    env = collect_base_env()
    import mmcv
    import mmdet
    import mmseg
    env['MMCV'] = mmcv.__version__
    try:
        import mmcv.ops  # noqa: F401
        env['MMCV compiled ops'] = True
    except ImportError as err:
        env['MMCV compiled ops'] = f'missing ({err})'
    env['MMDetection'] = mmdet.__version__
    env['MMSegmentation'] = mmseg.__version__
    env['mmpanoptic'] = f'{mmpanoptic.__version__}+{get_git_hash()[:7]}'
    return env


if __name__ == '__main__':
    for name, val in collect_env().items():
        print(f'{name}: {val}')
