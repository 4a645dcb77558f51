# K-Net Swin-L (window 7, ImageNet-22k) multi-scale 3x on COCO panoptic, 16 GPUs x 2 images (official, PQ 54.6
# on val, 55.2 on test-dev).
_base_ = './knet_s3_r50_fpn_ms-3x_coco-panoptic.py'
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
        drop_path_rate=0.2,
        patch_norm=True,
        out_indices=(0, 1, 2, 3),
        with_cp=False,
        convert_weights=True,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(in_channels=[192, 384, 768, 1536]))
auto_scale_lr = dict(enable=False, base_batch_size=32)
