"""Predictions of ``tools/test.py --out``: written with ``torch.save``, read back with ``weights_only=True``.

mmdet's ``DumpDetResults`` writes a plain pickle, and reading a plain pickle runs whatever code it names, so
a results file someone hands you could run code on your machine. This format holds only tensors and plain
Python values, which torch's allow-listed unpickler reads without running anything; a plain pickle is
refused.

The file is ``dict(format='mmpanoptic-predictions', version=1, predictions=[...])``; each prediction has
``img_id``, ``img_path``, ``ori_shape`` (H, W) and ``pred_panoptic_seg=dict(sem_seg=int32 (1, H, W))``
(``label + instance * INSTANCE_OFFSET``, VOID = num_classes), as mmdet's data samples.
"""
import os
import os.path as osp
from typing import List, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmpanoptic.cli import check_writable_dir
from mmpanoptic.errors import DataError
from mmpanoptic.registry import METRICS

FORMAT = 'mmpanoptic-predictions'
SUFFIX = '.pth'


def check_results_path(path: str) -> None:
    """Raise :class:`DataError` (or :class:`ConfigError` for the folder) before a run if predictions cannot
    be written to ``path``."""
    if not path.endswith(SUFFIX):
        raise DataError(f'--out {path}: predictions are written with torch.save and read back safely; name the file '
                        f'*{SUFFIX} (a .pkl would be a plain pickle, which runs code when it is read)')
    check_writable_dir(osp.dirname(osp.abspath(path)), f'--out {path}:')
    if osp.isdir(path):
        raise DataError(f'--out {path}: is a folder (give a file name ending in {SUFFIX})')


def save_predictions(predictions: List[dict], path: str) -> None:
    """Write ``predictions`` to ``path`` atomically (temporary file, then rename)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    part = f'{path}.part'
    torch.save(dict(format=FORMAT, version=1, predictions=predictions), part)
    os.replace(part, path)


def load_predictions(path: str) -> List[dict]:
    """Read a file of :func:`save_predictions` without unpickling anything but tensors and plain values.

    Raises:
        DataError: the file is missing, a plain pickle (refused), truncated, or not a predictions file.
    """
    if not osp.isfile(path):
        raise DataError(f'{path}: no such predictions file (write it with tools/test.py CONFIG CKPT --out {path})')
    with open(path, 'rb') as f:
        head = f.read(4)
    if head != b'PK\x03\x04':
        kind = 'a plain pickle' if head[:1] == b'\x80' else 'not a predictions file'
        raise DataError(f'{path}: {kind}; plain pickles are not read because loading them can run code '
                        f'(write the predictions with tools/test.py CONFIG CKPT --out FILE{SUFFIX})')
    try:
        content = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:  # noqa: B902 - truncated archives and refused objects alike
        from mmpanoptic.engine.checkpoint import unpickling_reason
        raise DataError(f'{path}: cannot be read as a predictions file ({unpickling_reason(err)}; write it again with '
                        'tools/test.py --out)') from None
    if not isinstance(content, dict) or content.get('format') != FORMAT:
        raise DataError(f'{path}: not a predictions file of tools/test.py --out (a checkpoint?)')
    return content['predictions']


@METRICS.register_module()
class DumpPanopticPredictions(BaseMetric):
    """Collect the panoptic predictions of a test run and write them with :func:`save_predictions`.

    Args:
        out_file_path (str): the ``.pth`` file.
        collect_device (str): as in :class:`~mmengine.evaluator.BaseMetric`.
    """
    default_prefix = 'predictions'  # it returns no metrics; mmengine warns about metrics without a prefix

    def __init__(self, out_file_path: str, collect_device: str = 'cpu') -> None:
        super().__init__(collect_device=collect_device)
        check_results_path(out_file_path)
        self.out_file_path = out_file_path

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            self.results.append(
                dict(img_id=sample['img_id'], img_path=sample['img_path'], ori_shape=tuple(sample['ori_shape']),
                     pred_panoptic_seg=dict(sem_seg=sample['pred_panoptic_seg']['sem_seg'].cpu().to(torch.int32))))

    def compute_metrics(self, results: list) -> dict:
        save_predictions(results, self.out_file_path)
        MMLogger.get_current_instance().info(f'{len(results)} predictions written to {self.out_file_path}')
        return {}
