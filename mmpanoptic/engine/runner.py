"""The Runner of the tools: mmengine's, with checkpoints that survive a kill and a resume that says what it does.

* Checkpoints are written to ``<name>.part`` and renamed when complete, so a kill during a save never
  leaves a truncated ``iter_N.pth`` (the CheckpointHook writes ``last_checkpoint`` after the rename).
* :func:`resume_checkpoint` picks the file ``--resume`` continues from: the one named by
  ``last_checkpoint`` or, when that is unreadable, the newest readable checkpoint of the work dir, saying
  so; when there is none, it says that too.
* :meth:`PanopticRunner.resume` refuses, before anything is loaded into the model, a file that is not a
  training checkpoint (no ``meta.iter``: a release or converted file) or whose weights do not fit the
  model.
* The environment log says how many processes run and on what (no "GPU number" on a CPU), and the config
  and hook dumps go to the log file only, unless ``verbose``.
"""
import glob
import logging
import os
import os.path as osp
import re
from collections import OrderedDict
from typing import List, Optional, Tuple

import torch
from mmengine.dist import master_only
from mmengine.logging import MMLogger
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from mmpanoptic.registry import RUNNERS
from .checkpoint import CheckpointFileError, check_checkpoint_file
from .load import adapt_checkpoint, check_fit, dataset_meta_from_cfg, weights_of

PART_SUFFIX = '.part'

# Log messages that are printed to the console only with ``verbose`` (they are always in the log file).
_FILE_ONLY_PREFIXES = ('Config:\n', 'Hooks will be executed in the following order')


class _FileOnly(logging.Filter):
    """Keep the config and hook dumps off a console handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(_FILE_ONLY_PREFIXES)


def _checkpoint_number(path: str) -> Tuple[int, float]:
    match = re.search(r'(\d+)\.pth$', osp.basename(path))
    return (int(match.group(1)) if match else -1, osp.getmtime(path))


def readable_checkpoint(path: str) -> Optional[str]:
    """None if ``path`` is a whole checkpoint file, else the reason it is not."""
    try:
        check_checkpoint_file(path)
    except (CheckpointFileError, OSError) as err:
        return str(err)
    return None


def resume_checkpoint(work_dir: str) -> Tuple[Optional[str], List[str]]:
    """The checkpoint that an automatic resume in ``work_dir`` continues from, and what to tell the user.

    The file named by ``work_dir/last_checkpoint`` if it is readable; otherwise the readable checkpoint
    with the highest iteration/epoch number (then the newest), with notes naming the unreadable files.
    Unfinished ``*.pth.part`` files are never taken.

    Returns:
        tuple[str | None, list[str]]: the checkpoint (None if the folder has none) and warnings to log.
    """
    named, notes = None, []
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip() or None
        if named is not None:
            reason = readable_checkpoint(named) if osp.isfile(named) else f'{named}: no such file'
            if reason is None:
                return named, notes
            notes.append(f'{pointer} names a checkpoint that cannot be used ({reason})')
    candidates = sorted(glob.glob(osp.join(work_dir, '*.pth')), key=_checkpoint_number, reverse=True)
    for path in candidates:
        reason = readable_checkpoint(path)
        if reason is None:
            if notes:
                notes.append(f'resuming from {path}, the newest readable checkpoint, instead')
            return path, notes
        if path != named:
            notes.append(f'skipping {reason}')
    return None, notes


def _training_state(filename: str) -> dict:
    """The checkpoint in ``filename`` with its tensors memory-mapped (nothing large is read)."""
    try:
        return torch.load(filename, map_location='cpu', mmap=True, weights_only=True)
    except RuntimeError:  # legacy (non-zip) files cannot be memory-mapped
        return torch.load(filename, map_location='cpu', weights_only=True)


@RUNNERS.register_module()
class PanopticRunner(Runner):
    """mmengine's :class:`~mmengine.runner.Runner` with the behaviour in the module docstring.

    Arguments are those of :class:`~mmengine.runner.Runner`; the config key ``verbose`` (``--verbose`` of
    the tools) prints the config and the hook order on the console too.
    """

    def build_logger(self, log_level='INFO', log_file=None, **kwargs) -> MMLogger:
        """mmengine's logger under a name no earlier runner of this process has taken.

        mmengine names the logger after the config and the second the runner starts; two runners of one config
        started in the same second (tools called in-process, one script running several) would share that
        instance, and the second run's messages would go to the first run's console stream and log file.
        A taken name gets a suffix ``_2``, ``_3``, ...; the visualizer is built later under the same name.
        """
        base, count = self._experiment_name, 1
        while MMLogger.check_instance_created(self._experiment_name):
            count += 1
            self._experiment_name = f'{base}_{count}'
        return super().build_logger(log_level=log_level, log_file=log_file, **kwargs)

    def _quiet_console(self) -> None:
        if self.cfg.get('verbose', False):
            return
        for handler in self.logger.handlers:
            if type(handler) is logging.StreamHandler and not any(isinstance(f, _FileOnly)
                                                                  for f in handler.filters):
                handler.addFilter(_FileOnly())

    def _log_env(self, env_cfg: dict) -> None:
        """Log the system and runtime environment; the process count names the device kind."""
        from mmengine.utils.dl_utils import collect_env
        self._quiet_console()
        runtime = OrderedDict(env_cfg)
        runtime.update(self._randomness_cfg)
        runtime['seed'] = self._seed
        runtime['Distributed launcher'] = self._launcher
        runtime['Distributed training'] = self._distributed
        if torch.cuda.is_available():
            runtime['GPU number'] = self._world_size
        else:
            runtime['Processes'] = f'{self._world_size} (CPU, no CUDA)'
        lines = ['System environment:'] + [f'    {k}: {v}' for k, v in collect_env().items()]
        lines += ['', 'Runtime environment:'] + [f'    {k}: {v}' for k, v in runtime.items()]
        dashes = '-' * 60
        self.logger.info('\n' + dashes + '\n' + '\n'.join(lines) + '\n' + dashes + '\n')
        if self.cfg._cfg_dict:
            self.logger.info(f'Config:\n{self.cfg.pretty_text}')

    @master_only
    def save_checkpoint(self, out_dir: str, filename: str, file_client_args: Optional[dict] = None,
                        save_optimizer: bool = True, save_param_scheduler: bool = True, meta: Optional[dict] = None,
                        by_epoch: bool = True, backend_args: Optional[dict] = None) -> None:
        """:meth:`Runner.save_checkpoint`, atomically for local folders (``<filename>.part``, then rename)."""
        local = '://' not in str(out_dir) and file_client_args is None and backend_args is None
        part = f'{filename}{PART_SUFFIX}' if local else filename
        super().save_checkpoint(out_dir, part, file_client_args, save_optimizer, save_param_scheduler, meta,
                                by_epoch, backend_args)
        if local:
            path = osp.join(out_dir, part)
            with open(path, 'rb') as f:
                os.fsync(f.fileno())
            os.replace(path, osp.join(out_dir, filename))

    def resume(self, filename: str, resume_optimizer: bool = True, resume_param_scheduler: bool = True,
               map_location='default') -> None:
        """:meth:`Runner.resume` after checking that ``filename`` is a training checkpoint of this model.

        Raises:
            CheckpointFileError: the file is not a whole checkpoint, or has no ``meta`` with ``epoch`` and
                ``iter`` (a release or converted file: use ``load_from`` to start from its weights).
            CheckpointMismatchError: its weights do not fit the model (another config).
        """
        if '://' not in filename:
            check_checkpoint_file(filename)
            checkpoint = _training_state(filename)
            meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
            if not isinstance(meta, dict) or 'iter' not in meta or 'epoch' not in meta:
                raise CheckpointFileError(
                    f'{filename}: not a training checkpoint (no meta.epoch/iter, e.g. a released or converted '
                    'file), so there is no training state to resume (start from its weights with '
                    f'--cfg-options load_from={filename} instead of --resume)')
            model = self.model.module if is_model_wrapper(self.model) else self.model
            state = adapt_checkpoint(dict(state_dict=weights_of(checkpoint)), model, dataset_meta_from_cfg(self.cfg),
                                     filename)
            check_fit(model, state, filename)
            MMLogger.get_current_instance().info(f'resuming from {filename} (epoch {meta["epoch"]}, '
                                                 f'iter {meta["iter"]})')
        super().resume(filename, resume_optimizer, resume_param_scheduler, map_location)


def build_runner(cfg) -> Runner:
    """The runner of ``cfg``: ``runner_type`` if the config names one, else :class:`PanopticRunner`."""
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return PanopticRunner.from_cfg(cfg)
