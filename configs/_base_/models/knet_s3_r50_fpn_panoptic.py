# K-Net panoptic (3 update stages) with ResNet-50 + FPN, as in the official
# configs/det/_base_/models/knet_s3_r50_fpn_panoptic.py (COCO: 80 things + 53 stuff).
num_things_classes = 80
num_stuff_classes = 53
num_proposals = 100
num_stages = 3

data_preprocessor = dict(
    type='DetDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_size_divisor=32,
    pad_mask=True,
    mask_pad_value=0,
    pad_seg=True,
    seg_pad_value=255)

assigner = dict(
    type='KernelHungarianAssigner',
    match_costs=[
        dict(type='FocalLossCost', alpha=0.25, gamma=2.0, eps=1e-12, weight=2.0),
        dict(type='KernelDiceCost', eps=1e-3, weight=4.0),
        dict(type='KernelMaskCost', weight=1.0)
    ])

model = dict(
    type='KNet',
    num_things_classes=num_things_classes,
    num_stuff_classes=num_stuff_classes,
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(type='FPN', in_channels=[256, 512, 1024, 2048], out_channels=256, num_outs=4),
    panoptic_head=dict(
        type='KernelPanopticHead',
        proposal_head=dict(
            type='KernelProposalHead',
            num_proposals=num_proposals,
            in_channels=256,
            localization_fpn=dict(type='SemanticFPNWithPE', in_channels=256, feat_channels=256, out_channels=256),
            normalize_group_features=False,
            kernel_init_std=1.0),
        iter_head=dict(
            type='KernelIterHead',
            num_stages=num_stages,
            stage_cfg=dict(
                type='KernelUpdateHead',
                in_channels=256,
                feat_channels=256,
                num_heads=8,
                feedforward_channels=2048,
                num_cls_fcs=1,
                num_mask_fcs=1,
                with_feat_transform=True,
                normalize_group_features=False),
            assign_on='previous',
            mask_upsample_stride=2,
            upsample_test_masks=True,
            assigner=assigner,
            loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=2.0),
            loss_mask=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
            loss_dice=dict(type='DiceLoss', eps=1e-3, naive_dice=False, loss_weight=4.0),
            loss_rank=dict(type='MaskRankLoss', target_mode='last', loss_weight=0.1)),
        aux_heads=dict(semantic=dict(
            type='ProposalSemanticLoss',
            loss=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0)))),
    panoptic_fusion_head=dict(type='MaskClassificationFusionHead'),
    train_cfg=None,
    test_cfg=dict(
        score_thr=0.3,
        score_filter='things',
        overlap_thr=0.6,
        mask_thr=0.5,
        merge='parallel',
        mask_resize='pad_crop',
        # Official K-Net: a segment is dropped if visible / own area < 0.6 (float64); ties go to things.
        overlap_rule='ratio',
        tie_order='things_first'))
