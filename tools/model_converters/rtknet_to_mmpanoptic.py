"""Convert an official RT-K-Net checkpoint (detectron2) to mmpanoptic's layout.

``python tools/model_converters/rtknet_to_mmpanoptic.py rtknet_cityscapes.pth out.pth [--num-stuff 11]``

The same as ``knet_to_mmpanoptic.py --family rtknet`` (Cityscapes: 11 stuff classes by default).
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from knet_to_mmpanoptic import main  # noqa: E402

if __name__ == '__main__':
    main(family='rtknet', num_stuff=11)
