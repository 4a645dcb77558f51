# Ablation (paper Table 3): one shared tower for the box and semantic predictions, without levelness and
# without the mask loss (56.8 PQ on Cityscapes vs 57.1 with two towers).
_base_ = './rt-panonet_r50_fpn_8xb1-48k_cityscapes-panoptic.py'
model = dict(panoptic_head=dict(shared_tower=True, use_levelness=False, loss_mask=None))
