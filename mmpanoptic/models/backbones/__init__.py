from .rtformer import RTFormer  # noqa: F401
