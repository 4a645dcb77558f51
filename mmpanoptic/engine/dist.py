"""Distributed set-up for machines where torch has no CUDA.

mmengine's ``init_dist`` calls ``torch.cuda.set_device`` even for the gloo backend, and the Runner wraps
the model with ``device_ids=[LOCAL_RANK]``, which DistributedDataParallel rejects for CPU modules. On a
machine without CUDA, :func:`setup_cpu_distributed` creates the gloo process group itself before the
Runner is built (the Runner then skips ``init_dist``) and makes the wrapper use ``device_ids=None``.
With CUDA it does nothing: the Runner sets up NCCL as usual.
"""
import os
import subprocess

import torch
import torch.distributed as dist
from mmengine.config import Config


def _slurm_env() -> None:
    """Fill the ``env://`` variables from SLURM's, as mmengine's slurm launcher does."""
    os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
    os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
    os.environ.setdefault('LOCAL_RANK', os.environ.get('SLURM_LOCALID', '0'))
    if 'MASTER_ADDR' not in os.environ:
        nodes = os.environ['SLURM_NODELIST']
        os.environ['MASTER_ADDR'] = subprocess.getoutput(f'scontrol show hostname {nodes} | head -n1')
    os.environ.setdefault('MASTER_PORT', '29500')


def setup_cpu_distributed(cfg: Config, launcher: str) -> bool:
    """Start a gloo process group for ``launcher`` when torch has no CUDA, and adapt ``cfg``.

    Args:
        cfg (Config): the config; its ``env_cfg.dist_cfg.backend`` becomes ``'gloo'`` and its
            ``model_wrapper_cfg`` gets ``device_ids=None``.
        launcher (str): ``'none'``, ``'pytorch'`` (torchrun) or ``'slurm'``.

    Returns:
        bool: whether a CPU process group was set up here.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return False
    if launcher == 'slurm':
        _slurm_env()
    elif launcher != 'pytorch':
        raise ValueError(f'launcher "{launcher}" needs CUDA; without it use "pytorch" (torchrun) or "slurm"')
    missing = [k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT') if k not in os.environ]
    if missing:
        raise RuntimeError(f'--launcher {launcher} needs the environment variables {missing}; start the '
                           'script with tools/dist_train.sh (torchrun) or tools/slurm_train.sh')
    if not dist.is_initialized():
        dist.init_process_group('gloo', rank=int(os.environ['RANK']), world_size=int(os.environ['WORLD_SIZE']))
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    return True
