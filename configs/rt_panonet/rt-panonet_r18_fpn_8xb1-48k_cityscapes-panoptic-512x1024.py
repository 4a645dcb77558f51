# RT-PanoNet R-18-FPN on Cityscapes at half size (512x1024; paper appendix: 46.7 PQ at 40 ms on a V100): the R-50
# half-size recipe with torchvision's ResNet-18.
_base_ = './rt-panonet_r50_fpn_8xb1-48k_cityscapes-panoptic-512x1024.py'
model = dict(
    backbone=dict(depth=18, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    neck=dict(in_channels=[64, 128, 256, 512]))
