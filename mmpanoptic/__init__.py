"""mmpanoptic: real-time and transformer panoptic segmentation for OpenMMLab."""
import mmcv
import mmdet
from mmengine.utils import digit_version

from .version import __version__, version_info

mmcv_minimum_version, mmcv_maximum_version = '2.0.0', '2.2.0'
assert digit_version(mmcv_minimum_version) <= digit_version(mmcv.__version__) < digit_version(
    mmcv_maximum_version), (f'MMCV {mmcv.__version__} is incompatible with mmpanoptic (and mmdet 3.3): '
                            f'install mmcv>={mmcv_minimum_version},<{mmcv_maximum_version}.')
assert digit_version('3.3.0') <= digit_version(mmdet.__version__) < digit_version('3.4.0'), (
    f'mmdet {mmdet.__version__} is incompatible with mmpanoptic: install mmdet 3.3.x.')

from .engine.checkpoint import install as _install_checkpoint_compat  # noqa: E402

_install_checkpoint_compat()

__all__ = ['__version__', 'version_info']
