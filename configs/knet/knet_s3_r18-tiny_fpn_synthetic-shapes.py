# K-Net (3 stages) with a narrow ResNet-18 (16 base channels, from scratch) on the synthetic shapes data
# (64x64 pictures upsampled to 128x128, so that the shapes cover a few pixels at stride 8; 4 things +
# 3 stuff). Trains in about 6 minutes on one CPU core (2500 iterations of 8 pictures, 0.13 s each):
#   python tools/dataset_converters/synthetic_shapes.py data/synthetic_shapes
#   OMP_NUM_THREADS=1 python tools/train.py configs/knet/knet_s3_r18-tiny_fpn_synthetic-shapes.py
# Val PQ 69.2 (things 53.2, stuff 90.4; 67.1 before the 2026-12-01 data-path change)
# with the default generator output (1000 train / 100 val pictures);
# tests/test_configs/test_synthetic_val_pq.py asserts >= 60.
_base_ = [
    '../_base_/models/knet_s3_r50_fpn_panoptic.py', '../_base_/datasets/synthetic_shapes_panoptic_128x128.py',
    '../_base_/default_runtime.py'
]
num_things_classes = 4
num_stuff_classes = 3
channels = 64
stage_cfg = dict(in_channels=channels, feat_channels=channels, num_heads=4, feedforward_channels=4 * channels)
model = dict(
    num_things_classes=num_things_classes,
    num_stuff_classes=num_stuff_classes,
    backbone=dict(
        depth=18, base_channels=16, frozen_stages=-1, norm_eval=False, init_cfg=None),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=channels),
    panoptic_head=dict(
        proposal_head=dict(
            num_proposals=20,
            in_channels=channels,
            localization_fpn=dict(
                in_channels=channels,
                feat_channels=channels,
                out_channels=channels,
                pe_num_feats=channels // 2,
                norm_cfg=dict(type='GN', num_groups=16, requires_grad=True)),
            norm_cfg=dict(type='GN', num_groups=16, requires_grad=True)),
        iter_head=dict(stage_cfg=stage_cfg)))

train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False)
val_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader

max_iters = 2500
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=1.0, norm_type=2),
    paramwise_cfg=dict(norm_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='PolyLR', power=0.9, eta_min=0.0, begin=50, end=max_iters, by_epoch=False)
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=max_iters, by_epoch=False, max_keep_ckpts=1),
    visualization=dict(type='PanopticVisualizationHook', draw=False))
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)
