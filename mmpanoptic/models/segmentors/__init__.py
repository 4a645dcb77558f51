from .yoso import YOSO  # noqa: F401
