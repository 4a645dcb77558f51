# YOSO with a ResNet-50 backbone (COCO panoptic: 80 things + 53 stuff).
num_things_classes = 80
num_stuff_classes = 53
model = dict(
    type='YOSO',
    num_things_classes=num_things_classes,
    num_stuff_classes=num_stuff_classes,
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        pad_mask=True,
        mask_pad_value=0,
        pad_seg=True,
        seg_pad_value=255),
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(
        type='YOSONeck',
        in_channels=[256, 512, 1024, 2048],
        agg_channels=128,
        out_channels=256,
        aggregation='cfa',
        norm_cfg=dict(type='SyncBN', requires_grad=True)),
    panoptic_head=dict(
        type='YOSOHead',
        in_channels=256,
        num_queries=100,
        num_stages=2,
        temperature=0.05,
        layer_cfg=dict(
            attn_cfg=dict(type='SeparableDynamicConvAttention', kernel_size=3),
            num_heads=8,
            feedforward_channels=2048,
            num_cls_fcs=1,
            num_mask_fcs=1),
        criterion=dict(
            type='MaskSetCriterion',
            no_object_weight=0.1,
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=2.0, reduction='mean'),
            loss_mask=dict(type='CrossEntropyLoss', use_sigmoid=True, reduction='mean', loss_weight=5.0),
            loss_dice=dict(
                type='DiceLoss', use_sigmoid=True, activate=True, reduction='mean', naive_dice=True, eps=1.0,
                loss_weight=5.0))),
    panoptic_fusion_head=dict(
        type='MaskClassificationFusionHead'),
    train_cfg=dict(
        num_points=12544,
        oversample_ratio=3.0,
        importance_sample_ratio=0.75,
        assigner=dict(
            type='HungarianAssigner',
            match_costs=[
                dict(type='ClassificationCost', weight=2.0),
                dict(type='CrossEntropyLossCost', weight=5.0, use_sigmoid=True),
                dict(type='DiceCost', weight=5.0, pred_act=True, eps=1.0)
            ]),
        sampler=dict(type='MaskPseudoSampler')),
    # Official YOSO (Mask2Former's inference): softmax scores with a no-object class, queries kept above the
    # object-mask threshold, logits resized before the sigmoid, a segment is dropped if visible / own area
    # < 0.8, its pixels below 0.5 are void; instance results as Mask2Former's.
    test_cfg=dict(
        scorer='softmax',
        score_filter='object',
        score_thr=0.7,
        mask_resize='pad_crop_logits',
        segment_mask='argmax_and_own',
        overlap_thr=0.8,
        overlap_rule='ratio',
        merge='parallel',
        instance_on=True,
        max_per_image=100),
    init_cfg=None)
