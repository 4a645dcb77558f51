from .dump_results import DumpPanopticPredictions, check_results_path, load_predictions, save_predictions
from .panoptic_quality_metric import PanopticQualityMetric
from .video_panoptic_metric import VideoPanopticMetric

__all__ = [
    'DumpPanopticPredictions', 'PanopticQualityMetric', 'VideoPanopticMetric', 'check_results_path',
    'load_predictions', 'save_predictions'
]
