# K-Net R-101 with DCNv2 in stages c3-c5, multi-scale 3x on COCO panoptic (official, PQ 49.6).
_base_ = './knet_s3_r101_fpn_ms-3x_coco-panoptic.py'
model = dict(
    backbone=dict(dcn=dict(type='DCNv2', deform_groups=1, fallback_on_stride=False),
                  stage_with_dcn=(False, True, True, True)))
