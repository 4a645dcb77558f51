# RT-PanoNet R-18-FPN on Cityscapes, full size: the R-50 recipe with torchvision's ResNet-18 (paper appendix:
# 55.5 PQ at 77 ms on a V100).
_base_ = './rt-panonet_r50_fpn_8xb1-48k_cityscapes-panoptic.py'
model = dict(
    backbone=dict(depth=18, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    neck=dict(in_channels=[64, 128, 256, 512]))
