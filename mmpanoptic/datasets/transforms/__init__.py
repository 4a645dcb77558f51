from .formatting import PackPanopticInputs, PackVideoPanopticInputs
from .instance_aware_crop import InstanceAwareRandomCrop
from .loading import LoadImageFromFile, LoadPanopticGT

__all__ = [
    'LoadImageFromFile', 'LoadPanopticGT', 'InstanceAwareRandomCrop', 'PackPanopticInputs', 'PackVideoPanopticInputs'
]
