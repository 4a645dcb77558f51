from .norm_decay_constructor import NormDecayOptimWrapperConstructor  # noqa: F401
