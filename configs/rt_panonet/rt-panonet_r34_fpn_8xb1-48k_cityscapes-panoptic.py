# RT-PanoNet R-34-FPN on Cityscapes, full size: the R-50 recipe with torchvision's ResNet-34 (paper appendix:
# 56.7 PQ at 83 ms on a V100).
_base_ = './rt-panonet_r50_fpn_8xb1-48k_cityscapes-panoptic.py'
model = dict(
    backbone=dict(depth=34, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet34')),
    neck=dict(in_channels=[64, 128, 256, 512]))
