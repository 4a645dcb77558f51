"""Plumbing shared by the command-line tools: argument parsing, config loading, progress and clear errors.

Importing this module does not import torch, so that a tool can parse its arguments (and answer
``--help``) before its heavy imports::

    from mmpanoptic.cli import add_common_args, main_with_clear_errors

    @main_with_clear_errors
    def main(argv=None):
        args = parse_args(argv)      # argparse only
        from mmengine.runner import Runner  # heavy imports after parsing
        ...
"""
import argparse
import functools
import importlib
import os
import os.path as osp
import sys
from typing import Callable, Iterable, Iterator, Optional, TypeVar

from mmpanoptic.errors import ConfigError, UserError

T = TypeVar('T')

# Errors raised by the standard library for a path the user gave.
_PATH_ERRORS = (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError)


def is_user_error(err: BaseException) -> bool:
    """Errors the user must act on: bad paths, configs, data or checkpoints, and unknown registry names."""
    if isinstance(err, (UserError, ) + _PATH_ERRORS):
        return True
    return isinstance(err, KeyError) and 'registry' in str(err)


def error_line(err: BaseException) -> str:
    """The one-line message of a user error (without the ``error:`` prefix).

    An error raised in a dataloader worker reaches the main process with the worker's traceback as its
    message; only the original message is kept.
    """
    message = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
    if message.startswith('Caught ') and 'Original Traceback' in message:
        last = [line for line in message.splitlines() if line.strip()][-1]
        prefix = f'{type(err).__module__}.{type(err).__name__}: '
        message = last[len(prefix):] if last.startswith(prefix) else last.split(': ', 1)[-1]
    if isinstance(err, _PATH_ERRORS) and getattr(err, 'filename', None) and str(err.filename) not in message:
        message = f'{err.filename}: {message}'
    return ' '.join(message.split('\n')).strip()


def main_with_clear_errors(main: Callable) -> Callable:
    """Run ``main``; a user error is printed as one line ``error: ...`` with exit status 1.

    Set ``MMPANOPTIC_TRACEBACK=1`` to see the full traceback of such errors too.
    """

    @functools.wraps(main)
    def wrapped(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except BaseException as err:  # noqa: B902 - re-raised unless it is a user error
            if not is_user_error(err) or os.environ.get('MMPANOPTIC_TRACEBACK'):
                raise
            print(f'error: {error_line(err)}', file=sys.stderr)
            sys.exit(1)

    return wrapped


def _package_roots(top: str, config_path: str) -> Iterator[str]:
    """Folders that may hold the top-level package ``top`` of a custom import: those above the config, the
    checkout of mmpanoptic (its ``projects/``), then the working directory."""
    folders = []
    folder = osp.dirname(osp.abspath(config_path))
    while True:
        folders.append(folder)
        if osp.dirname(folder) == folder:
            break
        folder = osp.dirname(folder)
    folders += [osp.dirname(osp.dirname(osp.abspath(__file__))), os.getcwd()]
    for folder in folders:
        if osp.isdir(osp.join(folder, top)) or osp.isfile(osp.join(folder, f'{top}.py')):
            yield folder


def _import_custom_modules(imports: dict, config_path: str) -> None:
    """Import the config's ``custom_imports`` without putting the working directory first on ``sys.path``.

    A module that is not importable as installed (``projects.example_project.example`` of a checkout) is
    looked for in :func:`_package_roots`; the folder holding its top-level package is added at the *end*
    of ``sys.path`` for that import only, so no file there can shadow an installed module.
    """
    names = imports.get('imports', [])
    names = [names] if isinstance(names, str) else list(names)
    for name in names:
        try:
            importlib.import_module(name)
            continue
        except ModuleNotFoundError as err:
            if err.name != name.split('.')[0]:
                raise
        folder = next(_package_roots(name.split('.')[0], config_path), None)
        if folder is None:
            if imports.get('allow_failed_imports'):
                continue
            raise ConfigError(f'{config_path}: custom_imports: module "{name}" is neither installed nor in a folder '
                              'above the config or the working directory (install it, or run from its checkout)')
        sys.path.append(folder)
        try:
            importlib.import_module(name)
        finally:
            sys.path.remove(folder)


def load_config(path: str, cfg_options: Optional[dict] = None):
    """Load the config ``path`` and merge ``--cfg-options``; errors name the file.

    The import path is not changed: ``custom_imports`` are resolved as described in
    :func:`_import_custom_modules`.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ConfigError: the file (or one of its ``_base_`` files) is not a valid config.
    """
    from mmengine.config import Config
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file "{path}" does not exist')
    try:
        cfg = Config.fromfile(path, import_custom_modules=False)
    except SyntaxError as err:
        detail = str(err).split(':', 1)[-1].strip() if 'syntax errors in config file' in str(err) else str(err)
        raise ConfigError(f'{path}: syntax error: {" ".join(detail.split())} (fix the config file)') from None
    except (FileNotFoundError, OSError) as err:
        raise ConfigError(f'{path}: {" ".join(str(err).split())} (check the _base_ paths)') from None
    except Exception as err:  # noqa: B902 - anything the config's Python code raises
        raise ConfigError(f'{path}: cannot be read as a config: {type(err).__name__}: '
                          f'{" ".join(str(err).split())}') from None
    if cfg.get('custom_imports'):
        _import_custom_modules(cfg.custom_imports, path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def set_work_dir(cfg, work_dir: Optional[str], config_path: str) -> None:
    """``--work-dir`` if given, else the config's ``work_dir``, else ``./work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def check_writable_dir(path: str, what: str) -> None:
    """Raise :class:`ConfigError` before a run if the folder ``path`` cannot be created or written.

    Args:
        path (str): the folder (it need not exist yet).
        what (str): the flag or key it comes from (``--work-dir``, ``--show-dir`` ...), for the message.
    """
    if '://' in str(path):
        return
    path = osp.abspath(path)
    if osp.exists(path) and not osp.isdir(path):
        raise ConfigError(f'{what} {path}: is a file, not a folder (choose another path)')
    probe = path
    while not osp.exists(probe):
        probe = osp.dirname(probe)
    if not osp.isdir(probe):
        raise ConfigError(f'{what} {path}: {probe} is a file, so the folder cannot be created (choose another path)')
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ConfigError(f'{what} {path}: {probe} is not writable (choose another path)')


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """``--cfg-options``, ``--launcher``/``--local-rank`` and ``--verbose``, spelt as in mmdetection's tools."""
    from mmengine.config import DictAction
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value pairs such as '
        'train_dataloader.batch_size=4 or "model.backbone.depth=18"')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    parser.add_argument('--verbose', action='store_true',
                        help='also print the config and the hook list (they are always in the log file)')


def progress(items: Iterable[T], total: Optional[int] = None, file=None) -> Iterator[T]:
    """Iterate ``items`` with mmengine's progress bar on ``file`` (stderr), only when it is a terminal.

    Args:
        items (Iterable): what to iterate.
        total (int, optional): number of items; ``len(items)`` by default.
        file: the stream of the bar. Defaults to ``sys.stderr``.
    """
    file = file or sys.stderr
    if not (hasattr(file, 'isatty') and file.isatty()):
        yield from items
        return
    from mmengine.utils import ProgressBar
    bar = ProgressBar(total if total is not None else len(items), file=file)
    try:
        for item in items:
            yield item
            bar.update()
    finally:  # also when an error stops the loop, so that its message starts on a line of its own
        file.write('\n')
