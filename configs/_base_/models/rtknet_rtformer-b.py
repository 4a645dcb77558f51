# RT-K-Net with RTFormer-Base (official configs/RT-K-Net-Cityscapes.yaml): 100 merged kernels, 4 update
# stages with mask-normalised group features, auxiliary semantic head and instance discrimination loss.
num_things_classes = 8
num_stuff_classes = 11
num_kernels = 100
num_stages = 4

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

norm_cfg = dict(type='SyncBN', requires_grad=True)

model = dict(
    type='RTKNet',
    num_things_classes=num_things_classes,
    num_stuff_classes=num_stuff_classes,
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='RTFormer',
        base_channels=64,
        layer_nums=(2, 2, 2, 2),
        num_heads=8,
        drop_path_rate=0.2,
        use_injection=(True, False),
        cross_size=12,
        norm_cfg=norm_cfg,
        out_indices=(7, 8)),
    neck=dict(
        type='RTFormerFeatureHead',
        in_channels=(128, 512),
        dappm_channels=128,
        head_channels=128,
        out_channels=256,
        norm_cfg=norm_cfg),
    panoptic_head=dict(
        type='KernelPanopticHead',
        proposal_head=dict(
            type='DirectKernelProposalHead',
            in_channels=256,
            feat_channels=256,
            num_proposals=num_kernels,
            normalize_group_features=True,
            norm_cfg=norm_cfg),
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
                with_feat_transform=False,
                normalize_group_features=True),
            assign_on='current',
            mask_upsample_stride=2,
            upsample_test_masks=False,
            assigner=dict(
                type='KernelHungarianAssigner',
                nan_cost=100.0,
                match_costs=[
                    dict(type='FocalLossCost', alpha=0.25, gamma=2.0, eps=1e-12, weight=2.0),
                    dict(type='KernelDiceCost', eps=1e-3, prob_clamp=(0.001, 1.0), weight=4.0),
                    dict(type='KernelMaskCost', prob_clamp=(0.01, 1.0), weight=1.0)
                ]),
            loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=2.0),
            loss_mask=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
            loss_dice=dict(type='DiceLoss', eps=1e-3, naive_dice=False, loss_weight=4.0),
            loss_rank=dict(type='MaskRankLoss', target_mode='argmax', loss_weight=0.1)),
        aux_heads=dict(
            semantic=dict(
                type='AuxSemanticHead',
                in_channels=256,
                feat_channels=256,
                norm_cfg=norm_cfg,
                loss=dict(type='TopKPixelCrossEntropyLoss', top_k_percent=0.2, loss_weight=1.0)),
            instance_discrimination=dict(
                type='InstanceDiscriminationAux',
                loss=dict(
                    type='InstanceDiscriminationLoss', num_samples=4096, sample_temperature=0.3, temperature=0.3,
                    loss_weight=1.0)))),
    panoptic_fusion_head=dict(
        type='MaskClassificationFusionHead'),
    train_cfg=None,
    test_cfg=dict(
        score_thr=0.3,
        score_filter='all',
        overlap_thr=0.6,
        mask_thr=0.5,
        merge='parallel',
        # Official RT-K-Net post-processing: logits resized straight to the un-padded image size, then
        # sigmoid; a segment is kept if visible area >= 0.6 * own area (float32); class ties go to the
        # first column of its stuff-first class order.
        mask_resize='direct',
        overlap_rule='scaled_area',
        tie_order='stuff_first'))
