from .panoptic_quality_metric import PanopticQualityMetric
from .video_panoptic_metric import VideoPanopticMetric

__all__ = ['PanopticQualityMetric', 'VideoPanopticMetric']
