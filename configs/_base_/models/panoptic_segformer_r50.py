# Panoptic SegFormer with a ResNet-50 (COCO panoptic: 80 things + 53 stuff), the released design: 300 thing
# queries in a box location decoder with query filtering, 53 class-bound stuff queries, mask decoders built
# from attention maps, mask-wise merge. Facts from the official configs/panformer/base.py.
num_things_classes = 80
num_stuff_classes = 53
embed_dims = 256
model = dict(
    type='PanopticSegFormer',
    num_things_classes=num_things_classes,
    num_stuff_classes=num_stuff_classes,
    num_queries=300,
    with_box_refine=True,
    num_feature_levels=4,
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=1,
        pad_mask=True,
        mask_pad_value=0,
        pad_seg=True,
        seg_pad_value=255),
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(
        type='ChannelMapper',
        in_channels=[512, 1024, 2048],
        kernel_size=1,
        out_channels=embed_dims,
        act_cfg=None,
        norm_cfg=dict(type='GN', num_groups=32),
        num_outs=4),
    encoder=dict(
        num_layers=6,
        layer_cfg=dict(
            self_attn_cfg=dict(embed_dims=embed_dims, num_heads=8, num_levels=4, num_points=4, batch_first=True),
            ffn_cfg=dict(embed_dims=embed_dims, feedforward_channels=1024, ffn_drop=0.1))),
    decoder=dict(
        num_layers=6,
        return_intermediate=True,
        layer_cfg=dict(
            # mmcv's deprecated `dropout=0.1` spelled out (it would also overwrite the default dropout_layer of
            # every MultiheadAttention built later in the process: a mutable default argument).
            self_attn_cfg=dict(embed_dims=embed_dims, num_heads=8, attn_drop=0.1,
                               dropout_layer=dict(type='Dropout', drop_prob=0.1), batch_first=True),
            cross_attn_cfg=dict(embed_dims=embed_dims, num_heads=8, num_levels=4, num_points=4,
                                batch_first=True),
            ffn_cfg=dict(embed_dims=embed_dims, feedforward_channels=1024, ffn_drop=0.1)),
        post_norm_cfg=None),
    positional_encoding=dict(num_feats=embed_dims // 2, normalize=True, offset=-0.5),
    bbox_head=dict(
        type='PanopticSegFormerHead',
        embed_dims=embed_dims,
        sync_cls_avg_factor=True,
        things_mask_decoder=dict(
            type='AttentionMaskDecoder', embed_dims=embed_dims, num_heads=8, num_layers=4,
            feedforward_channels=1024),
        stuff_mask_decoder=dict(
            type='AttentionMaskDecoder', embed_dims=embed_dims, num_heads=8, num_layers=6,
            feedforward_channels=1024, with_self_attn=True),
        loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=2.0),
        loss_bbox=dict(type='L1Loss', loss_weight=5.0),
        loss_iou=dict(type='GIoULoss', loss_weight=2.0),
        loss_mask=dict(type='DiceLoss', use_sigmoid=False, activate=False, naive_dice=False, eps=1e-6,
                       reduction='mean', loss_weight=2.0),
        # The official presence loss is loss_cls (weight 2) times 2.
        loss_stuff_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=4.0)),
    panoptic_fusion_head=dict(type='MaskClassificationFusionHead'),
    train_cfg=dict(
        assigner=dict(
            type='HungarianAssigner',
            match_costs=[
                dict(type='FocalLossCost', weight=2.0),
                dict(type='BBoxL1Cost', weight=5.0, box_format='xywh'),
                dict(type='IoUCost', iou_mode='giou', weight=2.0)
            ]),
        filter_assigner=dict(
            type='QueryFilterAssigner',
            max_rounds=3,
            stop_rule='official',
            match_costs=[
                dict(type='FocalLossCost', weight=2.0),
                dict(type='BBoxL1Cost', weight=5.0, box_format='xywh'),
                dict(type='IoUCost', iou_mode='giou', weight=2.0)
            ]),
        # The official config says a class cost of 2; its assigner doubles it.
        mask_assigner=dict(
            type='HungarianAssigner',
            match_costs=[
                dict(type='FocalLossCost', weight=4.0),
                dict(type='BBoxL1Cost', weight=5.0, box_format='xywh'),
                dict(type='IoUCost', iou_mode='giou', weight=2.0),
                dict(type='SquaredDiceCost', weight=2.0, eps=1e-3)
            ])),
    # The released mask-wise merge: scores times mask quality squared, masks painted by descending score on
    # free pixels, thresholds of the checkpoints (0.3 for PVTv2-B5 and Swin-L).
    test_cfg=dict(
        scorer='sigmoid',
        rescore='mask_quality_squared',
        score_filter='by_kind',
        score_thr=0.25,
        stuff_score_thr=0.25,
        merge='paint',
        overlap_thr=0.4,
        stuff_overlap_thr=0.2,
        mask_thr=0.5,
        mask_resize='crop_direct',
        mask_stride=8,
        mask_activation='identity',
        max_per_image=100),
    init_cfg=None)
