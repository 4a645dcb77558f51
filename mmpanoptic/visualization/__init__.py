from .local_visualizer import PanopticLocalVisualizer

__all__ = ['PanopticLocalVisualizer']
