# Panoptic SegFormer PVTv2-B5, 24 epochs on COCO panoptic: the released recipe (official
# configs/panformer/panformer_pvtb5_24e_coco_panoptic.py, checkpoint panoptic_segformer_pvtv2b5_2x.pth, COCO val PQ
# 55.6; the paper's v1 design trained 50 epochs gives 54.1 on val and 54.4 on test-dev). mmdet's
# PyramidVisionTransformerV2-B5 (depths 3/6/40/3, MLP ratio 4), stages 2-4 (/8, /16, /32; 128, 320, 512 channels),
# and the released quality thresholds of the mask-wise merge, 0.3 for things and stuff.
# Pretrained weights: mmdet's ImageNet-1k pvt_v2_b5.pth (as mmdet's retinanet_pvtv2-b5_fpn_1x_coco.py); the
# official config starts from pvt_v2_b5_22k.pth instead (its comment names
# https://github.com/whai362/PVT/releases/download/v2/pvt_v2_b5_22k.pth; not checked here).
_base_ = './panoptic-segformer_r50_8xb1-24e_coco-panoptic.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='PyramidVisionTransformerV2',
        embed_dims=64,
        num_layers=[3, 6, 40, 3],
        mlp_ratios=(4, 4, 4, 4),
        out_indices=(1, 2, 3),
        init_cfg=dict(type='Pretrained',
                      checkpoint='https://github.com/whai362/PVT/releases/download/v2/pvt_v2_b5.pth')),
    neck=dict(in_channels=[128, 320, 512]),
    test_cfg=dict(score_thr=0.3, stuff_score_thr=0.3))
