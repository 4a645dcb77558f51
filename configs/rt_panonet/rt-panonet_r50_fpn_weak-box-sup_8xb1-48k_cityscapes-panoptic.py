# The weakly supervised variant (paper Sec. 5.6 and Appendix C): foreground locations are those inside a ground-truth box
# (the smallest box wins where boxes overlap), for the box regression and centerness too; no mask loss
# (55.7 PQ on Cityscapes). The semantic head still learns from the semantic labels.
_base_ = './rt-panonet_r50_fpn_8xb1-48k_cityscapes-panoptic.py'
model = dict(panoptic_head=dict(assign='box', loss_mask=None))
