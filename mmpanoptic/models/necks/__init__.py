from .yoso_neck import YOSONeck, convert_ifa_to_cfa  # noqa: F401
