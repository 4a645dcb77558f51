"""Analyse training logs (the ``vis_data/*.json`` files mmengine writes in ``work_dir/<timestamp>/``).

* ``analyze_logs.py plot_curve LOG.json [LOG2.json ...] --keys loss coco_panoptic/PQ --out curve.png``
* ``analyze_logs.py cal_train_time LOG.json``: mean/slowest/fastest iteration time and the total.
"""
import argparse
import json
from collections import defaultdict
from typing import Dict, List

from mmpanoptic.cli import main_with_clear_errors
from mmpanoptic.errors import DataError


def load_log(path: str) -> Dict[str, List[tuple]]:
    """Read a scalars JSON-lines log into ``{key: [(step, value), ...]}``; a bad line names file and line."""
    series = defaultdict(list)
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(f'{path}:{lineno}: not a JSON line ({err}; give the vis_data/*.json scalars '
                                'log)') from None
            step = record.get('step', record.get('iter', lineno))
            for key, value in record.items():
                if isinstance(value, (int, float)) and key not in ('step', 'iter', 'epoch'):
                    series[key].append((step, float(value)))
    if not series:
        raise DataError(f'{path}: no scalar records found (give the vis_data/*.json scalars log)')
    return series


def cal_train_time(paths: List[str]) -> None:
    """Print the iteration time statistics of each log."""
    import numpy as np
    for path in paths:
        times = np.array([v for _, v in load_log(path).get('time', [])])
        if times.size == 0:
            raise DataError(f'{path}: no "time" records (give the scalars log of a training run)')
        print(f'{path}: {times.size} logged iterations, mean {times.mean():.4f} s/iter, '
              f'slowest {times.max():.4f}, fastest {times.min():.4f}, std {times.std():.4f}')


def plot_curve(paths: List[str], keys: List[str], out: str, title: str = None) -> None:
    """Plot ``keys`` of every log against the step into the picture ``out``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 5))
    for path in paths:
        series = load_log(path)
        for key in keys:
            if key not in series:
                raise DataError(f'{path}: no "{key}" in the log (choose --keys among: {", ".join(sorted(series))})')
            steps, values = zip(*series[key])
            ax.plot(steps, values, label=f'{path}: {key}' if len(paths) > 1 else key)
    ax.set_xlabel('iteration')
    ax.legend()
    if title:
        ax.set_title(title)
    fig.savefig(out, dpi=100, bbox_inches='tight')
    print(f'saved {out}')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Analyse mmengine training logs')
    sub = parser.add_subparsers(dest='task', required=True)
    curve = sub.add_parser('plot_curve', help='plot scalars against the iteration')
    curve.add_argument('json_logs', nargs='+')
    curve.add_argument('--keys', nargs='+', default=['loss'])
    curve.add_argument('--title')
    curve.add_argument('--out', default='curve.png')
    timing = sub.add_parser('cal_train_time', help='iteration time statistics')
    timing.add_argument('json_logs', nargs='+')
    return parser.parse_args(argv)


@main_with_clear_errors
def main(argv=None):
    args = parse_args(argv)
    if args.task == 'plot_curve':
        plot_curve(args.json_logs, args.keys, args.out, args.title)
    else:
        cal_train_time(args.json_logs)


if __name__ == '__main__':
    main()
