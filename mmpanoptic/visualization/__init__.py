from .local_visualizer import PanopticLocalVisualizer
from .track_drawing import draw_panoptic_gt, track_colour

__all__ = ['PanopticLocalVisualizer', 'draw_panoptic_gt', 'track_colour']
