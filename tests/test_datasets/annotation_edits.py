"""Helper of the data-error tests: edit an annotation JSON file in place."""
import json
from typing import Callable


def rewrite_json(path: str, change: Callable[[dict], None]) -> str:
    """Load the JSON object of ``path``, apply ``change`` to it, write it back; return ``path``."""
    with open(path) as f:
        content = json.load(f)
    change(content)
    with open(path, 'w') as f:
        json.dump(content, f)
    return path
