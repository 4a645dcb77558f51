from .yoso_head import YOSOHead  # noqa: F401
