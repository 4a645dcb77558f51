# Panoptic SegFormer PVTv2-B0, 24 epochs on COCO panoptic. The paper reports PQ 49.6 on COCO val for its v1 design
# trained 50 epochs; no official config or checkpoint was released for B0, so this is the released R-50 24-epoch
# recipe with mmdet's PyramidVisionTransformerV2 (ImageNet-1k weights of whai362/PVT, as mmdet's
# retinanet_pvtv2-b0_fpn_1x_coco.py): stages 2-4 (/8, /16, /32; 64, 160, 256 channels) into the ChannelMapper.
_base_ = './panoptic-segformer_r50_8xb1-24e_coco-panoptic.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='PyramidVisionTransformerV2',
        embed_dims=32,
        num_layers=[2, 2, 2, 2],
        out_indices=(1, 2, 3),
        init_cfg=dict(type='Pretrained',
                      checkpoint='https://github.com/whai362/PVT/releases/download/v2/pvt_v2_b0.pth')),
    neck=dict(in_channels=[64, 160, 256]))
