from .checkpoint_adapter_hook import CheckpointAdapterHook, add_checkpoint_adapter_hook  # noqa: F401
