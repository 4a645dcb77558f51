from .checkpoint import UnsafeCheckpointError, install as install_checkpoint_compat, mmengine_safe_globals
from .dist import setup_cpu_distributed

__all__ = ['UnsafeCheckpointError', 'install_checkpoint_compat', 'mmengine_safe_globals', 'setup_cpu_distributed']
