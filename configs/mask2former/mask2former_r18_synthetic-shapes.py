# Mask2Former (mmdet) with a narrow ResNet-18, trained from scratch on the built-in synthetic shapes data.
# It was the placeholder model of the demo job (tools/run_demo.sh) until K-Net replaced it; small enough to
# train on 2 CPU cores in minutes. All sizes are scaled down from mmdet's COCO config (256 channels, 100 queries, 6 + 9 layers).
_base_ = ['../_base_/datasets/synthetic_shapes_panoptic_128x128.py', '../_base_/default_runtime.py']

num_things_classes = 4
num_stuff_classes = 3
num_classes = num_things_classes + num_stuff_classes
embed_dims = 128

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

model = dict(
    type='Mask2Former',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNet',
        depth=18,
        base_channels=32,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None),
    panoptic_head=dict(
        type='Mask2FormerHead',
        in_channels=[32, 64, 128, 256],
        strides=[4, 8, 16, 32],
        feat_channels=embed_dims,
        out_channels=embed_dims,
        num_things_classes=num_things_classes,
        num_stuff_classes=num_stuff_classes,
        num_queries=24,
        num_transformer_feat_level=3,
        pixel_decoder=dict(
            type='MSDeformAttnPixelDecoder',
            num_outs=3,
            norm_cfg=dict(type='GN', num_groups=32),
            act_cfg=dict(type='ReLU'),
            encoder=dict(
                num_layers=2,
                layer_cfg=dict(
                    self_attn_cfg=dict(
                        embed_dims=embed_dims, num_heads=4, num_levels=3, num_points=4, dropout=0.0,
                        batch_first=True),
                    ffn_cfg=dict(
                        embed_dims=embed_dims, feedforward_channels=4 * embed_dims, num_fcs=2, ffn_drop=0.0,
                        act_cfg=dict(type='ReLU', inplace=True)))),
            positional_encoding=dict(num_feats=embed_dims // 2, normalize=True)),
        enforce_decoder_input_project=False,
        positional_encoding=dict(num_feats=embed_dims // 2, normalize=True),
        transformer_decoder=dict(
            return_intermediate=True,
            num_layers=3,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=embed_dims, num_heads=4, dropout=0.0, batch_first=True),
                cross_attn_cfg=dict(embed_dims=embed_dims, num_heads=4, dropout=0.0, batch_first=True),
                ffn_cfg=dict(
                    embed_dims=embed_dims, feedforward_channels=4 * embed_dims, num_fcs=2, ffn_drop=0.0,
                    act_cfg=dict(type='ReLU', inplace=True))),
            init_cfg=None),
        loss_cls=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=2.0, reduction='mean',
            class_weight=[1.0] * num_classes + [0.1]),
        loss_mask=dict(type='CrossEntropyLoss', use_sigmoid=True, reduction='mean', loss_weight=5.0),
        loss_dice=dict(
            type='DiceLoss', use_sigmoid=True, activate=True, reduction='mean', naive_dice=True, eps=1.0,
            loss_weight=5.0)),
    panoptic_fusion_head=dict(
        type='MaskClassificationFusionHead',
        num_things_classes=num_things_classes,
        num_stuff_classes=num_stuff_classes),
    train_cfg=dict(
        num_points=1024,
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
    # mmdet's MaskFormerFusionHead rules (object_mask_thr 0.8, iou_thr 0.8, filter_low_score) on the
    # project's fusion head, which returns a long map.
    test_cfg=dict(
        scorer='softmax',
        score_filter='object',
        score_thr=0.8,
        mask_resize='pad_crop_logits',
        segment_mask='argmax_and_own',
        overlap_thr=0.8,
        overlap_rule='ratio',
        instance_on=False,
        max_per_image=24),
    init_cfg=None)

train_dataloader = dict(batch_size=8, sampler=dict(type='InfiniteSampler', shuffle=True))
val_dataloader = dict(batch_size=8)
test_dataloader = val_dataloader

max_iters = 500
embed_multi = dict(lr_mult=1.0, decay_mult=0.0)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.0005, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    paramwise_cfg=dict(
        custom_keys=dict(query_embed=embed_multi, query_feat=embed_multi, level_embed=embed_multi),
        norm_decay_mult=0.0),
    clip_grad=dict(max_norm=1.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', milestones=[int(0.8 * max_iters)], gamma=0.1, by_epoch=False, begin=0, end=max_iters)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=25),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters, max_keep_ckpts=1, save_last=True))
log_processor = dict(type='LogProcessor', window_size=25, by_epoch=False)
auto_scale_lr = dict(enable=False, base_batch_size=16)
randomness = dict(seed=0)
