# YOSO with a narrow ResNet-18 (32 base channels, trained from scratch) on the synthetic shapes dataset
# (64x64 pictures upsampled to 128x128, 4 things + 3 stuff). Trains in about 12 minutes on one CPU core
# (3000 iterations of 8 pictures; one torch thread is much faster than two for this small model on shared
# cores):
#   python tools/dataset_converters/synthetic_shapes.py data/synthetic_shapes
#   OMP_NUM_THREADS=1 python tools/train.py configs/yoso/yoso_r18-tiny_synthetic-shapes.py
# Val PQ 65.0 (things 42.2, stuff 95.4; 62.4 before the 2026-12-01 data-path change)
# with the default generator output (1000 train / 100 val pictures);
# tests/test_configs/test_synthetic_val_pq.py asserts >= 60.
_base_ = [
    '../_base_/models/yoso_r50.py', '../_base_/datasets/synthetic_shapes_panoptic_128x128.py',
    '../_base_/default_runtime.py'
]
num_things_classes = 4
num_stuff_classes = 3
model = dict(
    num_things_classes=num_things_classes,
    num_stuff_classes=num_stuff_classes,
    backbone=dict(
        depth=18,
        base_channels=32,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=None),
    neck=dict(in_channels=[32, 64, 128, 256], agg_channels=32, out_channels=64, norm_cfg=dict(type='BN')),
    panoptic_head=dict(
        in_channels=64,
        num_queries=20,
        temperature=0.1,
        layer_cfg=dict(num_heads=4, feedforward_channels=256)),
    train_cfg=dict(num_points=1024),
    test_cfg=dict(score_thr=0.5))

train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True))
val_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader

max_iters = 3000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=0.01, norm_type=2),
    paramwise_cfg=dict(norm_decay_mult=0.0, custom_keys={'backbone': dict(lr_mult=1.0)}))
param_scheduler = [dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0, end=max_iters, by_epoch=False)]

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=max_iters, by_epoch=False, max_keep_ckpts=1),
    visualization=dict(type='PanopticVisualizationHook', draw=False))
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)
