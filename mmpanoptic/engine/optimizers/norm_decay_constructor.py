"""An optimizer constructor whose ``norm_decay_mult`` also reaches parameters matched by ``custom_keys``."""
from typing import List, Optional

from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from mmpanoptic.registry import OPTIM_WRAPPER_CONSTRUCTORS

_NORMS = (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class NormDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's constructor, with ``paramwise_cfg.norm_decay_mult`` applied to every normalisation layer.

    mmengine gives a parameter matched by a ``custom_keys`` entry that entry's ``lr_mult``/``decay_mult`` and
    then ignores ``norm_decay_mult``: with ``custom_keys={'backbone': dict(lr_mult=0.1)}`` and
    ``norm_decay_mult=0.0`` the backbone's norm layers still decay. detectron2's optimizer builder (used by
    official YOSO and RT-K-Net, ``SOLVER.WEIGHT_DECAY_NORM``) decays no norm layer at all. Here the weight
    decay of a custom-matched norm parameter is multiplied by ``norm_decay_mult`` as well; everything else
    is mmengine's.
    """

    def add_params(self, params: List[dict], module: nn.Module, prefix: str = '',
                   is_dcn_module: Optional[int] = None) -> None:
        first = len(params)
        super().add_params(params, module, prefix, is_dcn_module)
        norm_decay_mult = self.paramwise_cfg.get('norm_decay_mult')
        custom_keys = self.paramwise_cfg.get('custom_keys', {})
        if prefix or norm_decay_mult is None or not custom_keys:
            return  # the recursion into children ends here; the top-level call fixes all groups once
        norm_params = {id(p) for m in module.modules() if isinstance(m, _NORMS) for p in m.parameters(recurse=False)}
        names = {id(p): name for name, p in module.named_parameters()}
        for group in params[first:]:
            param = group['params'][0]
            if id(param) in norm_params and 'weight_decay' in group and \
                    any(key in names[id(param)] for key in custom_keys):
                group['weight_decay'] *= norm_decay_mult
