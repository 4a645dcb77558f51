from .folder_evaluation import (VIDEO_FORMATS, evaluate_panoptic_folder, evaluate_video_sequences,
                                video_folder_histograms)
from .panoptic_io import (INSTANCE_OFFSET, CategoryInfo, CocoPanopticPNG, PanopticPNG, StepPanopticPNG, coco_ids,
                          dataset_cat2label, file_histogram, load_json, mmdet_segments_to_coco, prediction_histogram,
                          prediction_lookup, read_rgb_png, segments_table, step_ids, step_lookup, table_lookup)
from .panoptic_quality import CLASS_MEANS, PanopticStats, match_segments
from .parallel import WorkerPool, parallel_imap, parallel_map, usable_processes
from .segment_histogram import VOID_LABEL, SegmentHistogram, compact_ids, segment_histogram
from .segmentation_tracking_quality import STQAccumulator
from .video_panoptic_quality import DATASET_WINDOWS, summarize_vpq, vpq_stats

__all__ = [
    'VIDEO_FORMATS', 'evaluate_panoptic_folder', 'evaluate_video_sequences', 'video_folder_histograms',
    'INSTANCE_OFFSET', 'CategoryInfo', 'CocoPanopticPNG', 'PanopticPNG', 'StepPanopticPNG', 'coco_ids',
    'dataset_cat2label', 'file_histogram', 'load_json', 'mmdet_segments_to_coco', 'prediction_histogram',
    'prediction_lookup', 'read_rgb_png', 'segments_table', 'step_ids', 'step_lookup', 'table_lookup', 'CLASS_MEANS',
    'PanopticStats', 'match_segments', 'WorkerPool', 'parallel_imap', 'parallel_map', 'usable_processes',
    'VOID_LABEL', 'SegmentHistogram', 'compact_ids', 'segment_histogram', 'STQAccumulator', 'DATASET_WINDOWS',
    'summarize_vpq', 'vpq_stats'
]
