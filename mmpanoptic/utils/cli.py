"""Shared plumbing of the command-line tools: config loading and clear failures for user mistakes."""
import functools
import sys
from typing import Callable, Optional

from mmengine.config import Config, DictAction

from mmpanoptic.engine.checkpoint import CheckpointFileError, UnsafeCheckpointError
from mmpanoptic.engine.config import ConfigError
from mmpanoptic.engine.load import CheckpointMismatchError

USER_ERRORS = (ConfigError, UnsafeCheckpointError, CheckpointFileError, CheckpointMismatchError, FileNotFoundError,
               NotADirectoryError)


def is_user_error(err: BaseException) -> bool:
    """Errors the user must act on: bad paths, bad configs, unknown registry names, bad checkpoints."""
    if isinstance(err, USER_ERRORS):
        return True
    return isinstance(err, KeyError) and 'registry' in str(err)


def main_with_clear_errors(main: Callable) -> Callable:
    """Run ``main``; a user error is printed as one line ``error: ...`` with exit status 1.

    Set ``MMPANOPTIC_TRACEBACK=1`` to see the full traceback of such errors too.
    """

    @functools.wraps(main)
    def wrapped(*args, **kwargs):
        import os
        try:
            return main(*args, **kwargs)
        except BaseException as err:  # noqa: B902 - re-raised unless it is a user error
            if not is_user_error(err) or os.environ.get('MMPANOPTIC_TRACEBACK'):
                raise
            message = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
            print(f'error: {message}', file=sys.stderr)
            sys.exit(1)

    return wrapped


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Load ``path`` (a clear error if it is missing) and merge ``--cfg-options``.

    The working directory is put on ``sys.path`` first, so that ``custom_imports`` such as
    ``projects.example_project.example`` resolve from the repository root as with ``python -m``.
    """
    import os
    import os.path as osp
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file "{path}" does not exist')
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def set_work_dir(cfg: Config, work_dir: Optional[str], config_path: str) -> None:
    """``--work-dir`` if given, else the config's ``work_dir``, else ``./work_dirs/<config name>``."""
    import os.path as osp
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def add_common_args(parser) -> None:
    """``--cfg-options`` and ``--launcher``/``--local-rank``, spelt as in mmdetection's tools."""
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value pairs such as '
        'train_dataloader.batch_size=4 or "model.backbone.depth=18"')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
