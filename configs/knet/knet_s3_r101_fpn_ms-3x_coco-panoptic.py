# K-Net R-101 multi-scale 3x on COCO panoptic (official, PQ 48.4).
_base_ = './knet_s3_r50_fpn_ms-3x_coco-panoptic.py'
model = dict(backbone=dict(depth=101, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')))
