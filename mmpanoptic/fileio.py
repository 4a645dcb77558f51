"""Reading of the JSON files users give (annotations, predictions), with errors that name the file."""
import json
import os.path as osp
from typing import Optional, Sequence

from mmpanoptic.errors import DataError


def load_json(path: str, required: Sequence[str] = ('annotations', 'categories'),
              backend_args: Optional[dict] = None) -> dict:
    """Load a JSON object file and check its top-level keys.

    Only JSON is read: annotation files in pickle form are refused (reading a pickle can run code).

    Args:
        path (str): local path, or a URI of an mmengine file backend when ``backend_args`` is given.
        required (Sequence[str]): top-level keys the object must have.
        backend_args (dict, optional): mmengine file backend arguments.

    Raises:
        FileNotFoundError: no such file.
        DataError: not a ``.json`` file, invalid JSON (with line and column), not an object, or a required
            key is missing.
    """
    if not str(path).endswith('.json'):
        raise DataError(f'{path}: only JSON annotation files are read (pickle files can run code when read; '
                        'convert the file to COCO-panoptic JSON)')
    try:
        if backend_args is None and '://' not in str(path):
            if not osp.isfile(path):
                raise FileNotFoundError(f'{path}: annotation file not found')
            with open(path, 'rb') as f:
                raw = f.read()
        else:
            from mmengine.fileio import get
            raw = get(path, backend_args=backend_args)
        content = json.loads(raw)
    except json.JSONDecodeError as error:
        raise DataError(f'{path}: not valid JSON ({error.msg} at line {error.lineno}, column {error.colno}; '
                        'fix or re-create the file)') from None
    except UnicodeDecodeError as error:
        raise DataError(f'{path}: not a text JSON file ({error.reason})') from None
    if not isinstance(content, dict):
        raise DataError(f'{path}: expected a JSON object at the top level, found a {type(content).__name__}')
    missing = [key for key in required if key not in content]
    if missing:
        raise DataError(f'{path}: missing top-level key(s) {missing}')
    return content
