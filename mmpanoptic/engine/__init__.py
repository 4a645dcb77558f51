from .checkpoint import (CheckpointFileError, UnsafeCheckpointError, install as install_checkpoint_compat,
                         mmengine_safe_globals)
from .dist import setup_cpu_distributed
from .hooks import CheckpointAdapterHook, add_checkpoint_adapter_hook
from .optimizers import NormDecayOptimWrapperConstructor

__all__ = [
    'CheckpointAdapterHook', 'CheckpointFileError', 'NormDecayOptimWrapperConstructor', 'UnsafeCheckpointError',
    'add_checkpoint_adapter_hook', 'install_checkpoint_compat', 'mmengine_safe_globals', 'setup_cpu_distributed'
]
