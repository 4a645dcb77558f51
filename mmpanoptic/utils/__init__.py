from ..cli import add_common_args, load_config, main_with_clear_errors
from .collect_env import collect_env
from .setup_env import register_all_modules

__all__ = ['add_common_args', 'collect_env', 'load_config', 'main_with_clear_errors', 'register_all_modules']
