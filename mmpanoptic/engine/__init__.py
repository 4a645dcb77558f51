from .checkpoint import (CheckpointFileError, UnsafeCheckpointError, install as install_checkpoint_compat,
                         mmengine_safe_globals)
from .dist import setup_cpu_distributed
from .hooks import CheckpointAdapterHook, add_checkpoint_adapter_hook
from .optimizers import NormDecayOptimWrapperConstructor
from .runner import PanopticRunner, build_runner, resume_checkpoint

__all__ = [
    'CheckpointAdapterHook', 'CheckpointFileError', 'NormDecayOptimWrapperConstructor', 'PanopticRunner',
    'UnsafeCheckpointError', 'build_runner',
    'add_checkpoint_adapter_hook', 'install_checkpoint_compat', 'mmengine_safe_globals', 'resume_checkpoint',
    'setup_cpu_distributed'
]
