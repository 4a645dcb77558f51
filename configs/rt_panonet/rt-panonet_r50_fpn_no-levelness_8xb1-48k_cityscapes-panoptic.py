# Ablation (paper Table 3): two towers, no levelness and no mask loss (57.1 PQ on Cityscapes). Without
# levelness a query takes the best-matching level's box at each pixel.
_base_ = './rt-panonet_r50_fpn_8xb1-48k_cityscapes-panoptic.py'
model = dict(panoptic_head=dict(use_levelness=False, loss_mask=None))
