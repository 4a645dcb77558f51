from .tiny_conv import TinyConvNet

__all__ = ['TinyConvNet']
