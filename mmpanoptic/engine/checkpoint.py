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
types. :func:`install` is called when :mod:`mmpanoptic` is imported.
"""
import pickle
from typing import Any, Callable, List, Optional, Tuple

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds objects that mmengine does not write; it was not loaded."""


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


def _reason(err: Exception) -> str:
    """The unpickler's own reason, without torch's generic advice around it."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if line.startswith('WeightsUnpickler error') and i + 1 < len(lines):
            return line.split(':', 1)[1].strip() or lines[i + 1]
    return lines[0] if lines else type(err).__name__


def _guarded(loader: Callable) -> Callable:

    def load(filename: str, map_location: Optional[str] = None, *args, **kwargs):
        try:
            return loader(filename, map_location, *args, **kwargs)
        except pickle.UnpicklingError as err:
            if isinstance(err, UnsafeCheckpointError):
                raise
            types = _not_allowed(filename)
            listed = ', '.join(types) if types else _reason(err)
            raise UnsafeCheckpointError(
                f'{filename}: not loaded, it holds objects that mmengine checkpoints never contain '
                f'({listed}); unpickling them could run arbitrary code. If you trust the file, re-save '
                'its tensors as a plain state dict (torch.save({"state_dict": ...})) and load that.') from None

    load.__name__ = getattr(loader, '__name__', 'load')
    load.__doc__ = loader.__doc__
    load._mmpanoptic_guarded = True
    return load


def install() -> None:
    """Allow mmengine's checkpoint types and make local/http loading raise clear errors. Idempotent."""
    torch.serialization.add_safe_globals(mmengine_safe_globals())
    for prefix in ('', 'http://', 'https://'):
        loader = CheckpointLoader._schemes[prefix]
        if not getattr(loader, '_mmpanoptic_guarded', False):
            CheckpointLoader.register_scheme(prefix, _guarded(loader), force=True)
