"""mmpanoptic: real-time and transformer panoptic segmentation for OpenMMLab.

Importing the package is cheap (no torch), so that the tools can parse their arguments first. The
checkpoint compatibility of :mod:`mmpanoptic.engine.checkpoint` is installed by every module that builds
or loads models (``mmpanoptic.registry``, ``mmpanoptic.engine``, ``mmpanoptic.apis``).
"""
from importlib.metadata import PackageNotFoundError, version as _installed_version

from mmengine.utils import digit_version  # torch-free

from .version import __version__, version_info


def _check_version(package: str, minimum: str, maximum: str) -> None:
    try:
        found = _installed_version(package)
    except PackageNotFoundError:
        return  # the import of the package reports it
    if not digit_version(minimum) <= digit_version(found) < digit_version(maximum):
        raise ImportError(f'{package} {found} is incompatible with mmpanoptic: install {package}>={minimum},'
                          f'<{maximum} (tools/setup_env.sh installs the pinned stack).')


_check_version('mmcv', '2.0.0', '2.2.0')
_check_version('mmdet', '3.3.0', '3.4.0')

__all__ = ['__version__', 'version_info']
