from .formatting import PackPanopticInputs, PackVideoPanopticInputs
from .instance_aware_crop import InstanceAwareRandomCrop
from .loading import LoadPanopticGT

__all__ = ['LoadPanopticGT', 'InstanceAwareRandomCrop', 'PackPanopticInputs', 'PackVideoPanopticInputs']
