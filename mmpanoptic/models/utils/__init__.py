from .yoso_checkpoint import convert_official_yoso_state_dict, is_official_yoso_state_dict  # noqa: F401
