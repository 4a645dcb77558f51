"""Safe loading of mmengine checkpoints under torch >= 2.6 (``weights_only=True``).

torch >= 2.6 unpickles checkpoints with an allow-list of types. mmengine 0.10.7 calls ``torch.load``
without ``weights_only`` and writes types that are not on torch's list (the message hub's
``HistoryBuffer`` with numpy arrays and scalars), so ``--resume`` fails. Instead of switching
``weights_only`` off, which would let a downloaded checkpoint run arbitrary code, this module adds
exactly the types mmengine writes to the allow-list:

* ``mmengine.logging.HistoryBuffer``, and ``getattr`` restricted to fetching its statistics methods
  (``HistoryBuffer.min`` ... are pickled as ``getattr(HistoryBuffer, 'min')``);
* numpy arrays, scalars and dtypes (numpy 1 and numpy 2 module names).

Any other type makes loading stop with :class:`UnsafeCheckpointError`, which names the file and the
types.

The same loaders check that a file is a checkpoint before unpickling it: an empty file, an HTML page (a
share page downloaded instead of the file), a truncated zip archive or any other file stops with
:class:`CheckpointFileError` naming the file. ``http(s)`` URLs are downloaded to torch's hub cache
(``<hub>/checkpoints``) and then loaded like local files; Google Drive share links
(``https://drive.google.com/file/d/<id>/view``) are fetched in their direct-download form and cached as
``gdrive-<id>.pth``. :func:`install` runs when this module is imported (by :mod:`mmpanoptic.registry`, the
engine and the APIs).
"""
import os
import os.path as osp
import pickle
import re
import sys
import zipfile
from typing import Any, Callable, List, Optional, Tuple
from urllib.parse import urlparse

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.dist import barrier, get_dist_info
from mmengine.runner.checkpoint import CheckpointLoader

from mmpanoptic.errors import UserError


class UnsafeCheckpointError(UserError, pickle.UnpicklingError):
    """A checkpoint holds objects that mmengine does not write; it was not loaded."""


class CheckpointFileError(UserError, RuntimeError):
    """The file is not a (whole) checkpoint: empty, an HTML page, truncated, or of another format."""


_HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')


def _history_buffer_getattr(obj: Any, name: str) -> Callable:
    """``getattr`` as the unpickler may use it: only ``HistoryBuffer``'s statistics methods."""
    registered = set(_HISTORY_BUFFER_STATISTICS) | set(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in registered:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'refusing getattr({obj!r}, {name!r}): only HistoryBuffer statistics methods may be loaded')


def _numpy_globals() -> List[Tuple[Any, str]]:
    """numpy objects that pickled arrays, scalars and dtypes refer to, under both numpy 1 and 2 names."""
    multiarray = np._core.multiarray if hasattr(np, '_core') else np.core.multiarray
    entries = []
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        entries += [(multiarray._reconstruct, f'{module}._reconstruct'), (multiarray.scalar, f'{module}.scalar')]
    entries += [(np.ndarray, 'numpy.ndarray'), (np.dtype, 'numpy.dtype')]
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        entries += [(cls, f'numpy.dtypes.{name}') for name, cls in vars(dtypes).items()
                    if isinstance(cls, type) and issubclass(cls, np.dtype)]
    return entries


def mmengine_safe_globals() -> List[Tuple[Any, str]]:
    """The (object, pickled name) pairs mmengine's checkpoints need beyond torch's defaults."""
    return [(HistoryBuffer, 'mmengine.logging.history_buffer.HistoryBuffer'),
            (_history_buffer_getattr, 'builtins.getattr')] + _numpy_globals()


def _not_allowed(filename: str) -> List[str]:
    """Globals in ``filename`` that are neither torch's defaults nor on the allow-list installed here."""
    try:
        return sorted(set(torch.serialization.get_unsafe_globals_in_checkpoint(filename)))
    except Exception:  # not a zip checkpoint; the unpickler's own message is all there is
        return []


_GLOBAL_IN_MESSAGE = re.compile(r'GLOBAL ([\w.]+)')


def unpickling_reason(err: Exception) -> str:
    """The unpickler's own reason, without torch's generic advice (never the advice to switch
    ``weights_only`` off): the refused global if the message names one, else the unpickler's line."""
    text = str(err)
    names = sorted(set(_GLOBAL_IN_MESSAGE.findall(text)))
    if names:
        return ', '.join(names)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if line.startswith('WeightsUnpickler error') and i + 1 < len(lines):
            return line.split(':', 1)[1].strip() or lines[i + 1]
    advice = ('weights_only', 'Weights only load failed', 'Check the documentation')
    useful = [line for line in lines if not any(a in line for a in advice)]
    return useful[0] if useful else type(err).__name__


_ZIP_MAGIC = b'PK\x03\x04'


def check_checkpoint_file(filename: str, shown_as: Optional[str] = None) -> None:
    """Raise :class:`CheckpointFileError` unless ``filename`` looks like a whole torch checkpoint.

    Accepted: a zip archive with its central directory (``torch.save`` since 1.6) or a pickle stream
    (legacy ``torch.save``). Nothing is unpickled here.

    Args:
        filename (str): local file.
        shown_as (str, optional): the name to show in messages (the URL of a downloaded file).
    """
    name = shown_as or filename
    if osp.getsize(filename) == 0:
        raise CheckpointFileError(f'{name}: empty file (0 bytes), not a checkpoint (download it again)')
    with open(filename, 'rb') as f:
        head = f.read(512)
    if head.startswith(_ZIP_MAGIC):
        if not zipfile.is_zipfile(filename):
            raise CheckpointFileError(f'{name}: truncated or corrupt zip archive, not a whole checkpoint '
                                      '(download or copy it again)')
        return
    if head[:1] == b'\x80':
        return
    text = head.lstrip().lower()
    if text.startswith((b'<!doctype html', b'<html', b'<head', b'<!--', b'<?xml')) or b'<html' in text:
        raise CheckpointFileError(
            f'{name}: an HTML page, not a checkpoint (the link points to a web page such as a share page; '
            'download the file itself and pass its local path)')
    raise CheckpointFileError(f'{name}: not a PyTorch checkpoint (the file starts with {head[:16]!r}; '
                              'pass a .pth file written by torch.save)')


def _guarded(loader: Callable) -> Callable:
    """``loader`` (mmengine's local loader) with the file check and clear unpickling errors."""

    def load(filename: str, map_location: Optional[str] = None, shown_as: Optional[str] = None):
        name = shown_as or filename
        if osp.isfile(osp.expanduser(filename)):
            check_checkpoint_file(osp.expanduser(filename), name)
        try:
            return loader(filename, map_location)
        except pickle.UnpicklingError as err:
            if isinstance(err, UnsafeCheckpointError):
                raise
            types = _not_allowed(filename)
            if not types and 'truncated' in str(err):
                raise CheckpointFileError(f'{name}: truncated checkpoint (download or copy it again)') from None
            listed = ', '.join(types) if types else unpickling_reason(err)
            raise UnsafeCheckpointError(
                f'{name}: not loaded, it holds objects that mmengine checkpoints never contain '
                f'({listed}); unpickling them could run arbitrary code. If you trust the file, re-save '
                'its tensors as a plain state dict (torch.save({"state_dict": ...})) and load that.') from None
        except (EOFError, RuntimeError) as err:
            raise CheckpointFileError(f'{name}: unreadable checkpoint ({unpickling_reason(err)}; download or copy it '
                                      'again)') from None

    load.__name__ = getattr(loader, '__name__', 'load')
    load.__doc__ = loader.__doc__
    load._mmpanoptic_guarded = True
    return load


_GDRIVE_ID = re.compile(r'^https://drive\.google\.com/(?:file/d/([\w-]+)|.*[?&]id=([\w-]+))')


def download_target(url: str) -> Tuple[str, str]:
    """``(url to fetch, cache file name)`` of a checkpoint URL; Google Drive links in direct form."""
    match = _GDRIVE_ID.match(url)
    if match:
        file_id = match[1] or match[2]
        return (f'https://drive.usercontent.google.com/download?id={file_id}&export=download&confirm=t',
                f'gdrive-{file_id}.pth')
    return url, osp.basename(urlparse(url).path)


def _download(url: str, model_dir: Optional[str]) -> str:
    """The cached file of ``url``, downloaded first if the cache has none."""
    source, name = download_target(url)
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    path = osp.join(model_dir, name)
    if not osp.isfile(path):
        os.makedirs(model_dir, exist_ok=True)
        torch.hub.download_url_to_file(source, path, progress=sys.stderr.isatty())
    return path


def load_from_url(filename: str, map_location: Optional[str] = None, model_dir: Optional[str] = None):
    """Download ``filename`` (once, on local rank 0 first) and load it as a local checkpoint; a download
    that is not a whole checkpoint (a page, a broken transfer) is removed from the cache."""
    rank, world_size = get_dist_info()
    if rank == 0:
        path = _download(filename, model_dir)
    if world_size > 1:
        barrier()
        if rank > 0:
            path = _download(filename, model_dir)
    try:
        return CheckpointLoader._schemes[''](path, map_location, shown_as=filename)
    except CheckpointFileError:
        if rank == 0 and osp.isfile(path):
            os.remove(path)
        raise


def install() -> None:
    """Allow mmengine's checkpoint types and make local/http loading check files and fail clearly.

    Idempotent."""
    torch.serialization.add_safe_globals(mmengine_safe_globals())
    local = CheckpointLoader._schemes['']
    if not getattr(local, '_mmpanoptic_guarded', False):
        CheckpointLoader.register_scheme('', _guarded(local), force=True)
    CheckpointLoader.register_scheme(('http://', 'https://'), load_from_url, force=True)


install()
