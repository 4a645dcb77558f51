from .checkpoint_adapter_hook import CheckpointAdapterHook, add_checkpoint_adapter_hook  # noqa: F401
from .visualization_hook import PanopticVisualizationHook  # noqa: F401
