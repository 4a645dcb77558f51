"""Regenerate the model-zoo table in README.md from the metafiles listed in model-index.yml.

``python tools/misc/gen_model_zoo.py`` rewrites the part of README.md between the
``<!-- model-zoo:start -->`` and ``<!-- model-zoo:end -->`` markers; ``--check`` only reports whether it
is up to date (exit status 1 if not), as the test suite does.
"""
import argparse
import os.path as osp
import sys

from mmpanoptic.cli import main_with_clear_errors
from mmpanoptic.errors import DataError

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
START, END = '<!-- model-zoo:start -->', '<!-- model-zoo:end -->'


def _metric_text(model: dict) -> str:
    parts = []
    for result in model.get('Results') or []:
        metrics = ', '.join(f'{k} {v}' for k, v in result['Metrics'].items())
        parts.append(f'{result["Dataset"]}: {metrics}')
    return '; '.join(parts) or '—'


def model_zoo_table(root: str = ROOT) -> str:
    """The markdown table: one row per model of every imported metafile."""
    import yaml
    with open(osp.join(root, 'model-index.yml')) as f:
        imports = yaml.safe_load(f).get('Import') or []
    rows = ['| method | model | config | results | weights |', '|---|---|---|---|---|']
    for metafile in imports:
        with open(osp.join(root, metafile)) as f:
            meta = yaml.safe_load(f)
        collections = {c['Name']: c for c in meta.get('Collections') or []}
        for model in meta['Models']:
            method = model.get('In Collection', osp.basename(osp.dirname(metafile)))
            paper = (collections.get(method) or {}).get('Paper') or {}
            method_text = f'[{method}]({paper["URL"]})' if paper.get('URL') else method
            weights = f'[model]({model["Weights"]})' if model.get('Weights') else '—'
            rows.append(f'| {method_text} | {model["Name"]} | [config]({model["Config"]}) | '
                        f'{_metric_text(model)} | {weights} |')
    return '\n'.join(rows)


def render_readme(text: str, table: str) -> str:
    """``text`` with the part between the model-zoo markers replaced by ``table``."""
    if START not in text or END not in text:
        raise DataError(f'README.md: no {START} ... {END} markers (put them around the model-zoo table)')
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f'{head}{START}\n{table}\n{END}{tail}'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--check', action='store_true', help='only check that README.md is up to date')
    return parser.parse_args(argv)


@main_with_clear_errors
def main(argv=None) -> int:
    args = parse_args(argv)
    path = osp.join(ROOT, 'README.md')
    with open(path) as f:
        text = f.read()
    new = render_readme(text, model_zoo_table())
    if args.check:
        if new != text:
            print('README.md model-zoo table is out of date: run python tools/misc/gen_model_zoo.py')
            return 1
        return 0
    with open(path, 'w') as f:
        f.write(new)
    return 0


if __name__ == '__main__':
    sys.exit(main())
