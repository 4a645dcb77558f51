"""Prepare a trained checkpoint for release.

``python tools/model_converters/publish_model.py IN.pth OUT.pth`` keeps only ``state_dict`` and a small
``meta`` (drops optimizer, message hub, parameter-scheduler and EMA states; with ``--use-ema`` the EMA
weights become the state dict), saves it, and renames it ``OUT-<first 8 hex of sha256>.pth`` as
``mim download`` and the metafiles expect.
"""
import argparse
import hashlib
import os
import os.path as osp

from mmpanoptic.cli import main_with_clear_errors
from mmpanoptic.errors import DataError

KEPT_META = ('epoch', 'iter', 'mmengine_version', 'dataset_meta', 'experiment_name', 'seed')


def sha256_prefix(path: str, length: int = 8) -> str:
    """The first ``length`` hex digits of the file's SHA-256."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()[:length]


def process_checkpoint(in_file: str, out_file: str, use_ema: bool = False) -> str:
    """Write the release checkpoint and return its final (hash-suffixed) path."""
    import torch
    from mmengine.runner.checkpoint import _load_checkpoint

    import mmpanoptic.engine.checkpoint  # noqa: F401 - loads training checkpoints safely under torch>=2.6
    if not osp.isfile(in_file):
        raise FileNotFoundError(f'checkpoint "{in_file}" does not exist')
    checkpoint = _load_checkpoint(in_file, map_location='cpu')
    if 'state_dict' not in checkpoint:
        raise DataError(f'{in_file}: no "state_dict" in the checkpoint (keys: {sorted(checkpoint)}; give a '
                        'checkpoint written by training)')
    state_dict = checkpoint['state_dict']
    if use_ema:
        if 'ema_state_dict' not in checkpoint:
            raise DataError(f'{in_file}: --use-ema given but the checkpoint has no "ema_state_dict" (train with '
                            'the EMA hook, or publish without --use-ema)')
        state_dict = {k[len('module.'):]: v for k, v in checkpoint['ema_state_dict'].items()
                      if k.startswith('module.')}
    meta = {k: v for k, v in checkpoint.get('meta', {}).items() if k in KEPT_META}
    stem = out_file[:-len('.pth')] if out_file.endswith('.pth') else out_file
    os.makedirs(osp.dirname(osp.abspath(stem)), exist_ok=True)
    tmp = stem + '.tmp.pth'
    torch.save(dict(state_dict=state_dict, meta=meta), tmp)
    final = f'{stem}-{sha256_prefix(tmp)}.pth'
    os.replace(tmp, final)
    return final


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Strip a training checkpoint for release')
    parser.add_argument('in_file', help='input checkpoint filename')
    parser.add_argument('out_file', help='output checkpoint filename (the hash is appended)')
    parser.add_argument('--use-ema', action='store_true', help='publish the EMA weights')
    return parser.parse_args(argv)


@main_with_clear_errors
def main(argv=None):
    args = parse_args(argv)
    final = process_checkpoint(args.in_file, args.out_file, args.use_ema)
    print(f'published {final}')
    return final


if __name__ == '__main__':
    main()
