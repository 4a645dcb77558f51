# Panoptic SegFormer Swin-L (window 7, ImageNet-22k), 24 epochs on COCO panoptic: the released recipe (official
# configs/panformer/panformer_swinl_24e_coco_panoptic.py, checkpoint panoptic_segformer_swinl_2x.pth, COCO val PQ
# 55.8, test-dev 56.2; not in the paper). mmdet's SwinTransformer (embed 192, depths 2/2/18/2, heads 6/12/24/48,
# drop path 0.3 as the official config), stages 2-4 (/8, /16, /32; 384, 768, 1536 channels), and the released
# quality thresholds of the mask-wise merge, 0.3 for things and stuff.
_base_ = './panoptic-segformer_r50_8xb1-24e_coco-panoptic.py'

pretrained = ('https://github.com/SwinTransformer/storage/releases/download/v1.0.0/'
              'swin_large_patch4_window7_224_22k.pth')
model = dict(
    backbone=dict(
        _delete_=True,
        type='SwinTransformer',
        embed_dims=192,
        depths=[2, 2, 18, 2],
        num_heads=[6, 12, 24, 48],
        window_size=7,
        mlp_ratio=4,
        qkv_bias=True,
        qk_scale=None,
        drop_rate=0.,
        attn_drop_rate=0.,
        drop_path_rate=0.3,
        patch_norm=True,
        out_indices=(1, 2, 3),
        with_cp=False,
        convert_weights=True,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(in_channels=[384, 768, 1536]),
    test_cfg=dict(score_thr=0.3, stuff_score_thr=0.3))
