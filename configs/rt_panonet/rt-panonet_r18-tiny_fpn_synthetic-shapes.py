# RT-PanoNet with a narrow ResNet-18 (32 base channels, from scratch) and a 64-channel FPN on the synthetic
# shapes dataset (64x64 pictures enlarged to 128x128, 4 things + 3 stuff). Trains on one CPU core in minutes:
#   python tools/dataset_converters/synthetic_shapes.py data/synthetic_shapes
#   OMP_NUM_THREADS=1 python tools/train.py configs/rt_panonet/rt-panonet_r18-tiny_fpn_synthetic-shapes.py
# tests/test_configs/test_synthetic_val_pq.py asserts val PQ >= 60.
#
# Departures from the Cityscapes recipe, for pictures 16x smaller than Cityscapes crops and a model trained
# from scratch: size ranges / 4, GN in a 32-channel semantics tower, AdamW, a stuff area limit of 16 pixels
# (of the 64x64 original).
_base_ = [
    '../_base_/models/rt-panonet_r50_fpn.py', '../_base_/datasets/synthetic_shapes_panoptic_128x128.py',
    '../_base_/default_runtime.py'
]
num_things_classes = 4
num_stuff_classes = 3
model = dict(
    num_things_classes=num_things_classes,
    num_stuff_classes=num_stuff_classes,
    data_preprocessor=dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(depth=18, base_channels=32, frozen_stages=-1, norm_cfg=dict(type='BN', requires_grad=True),
                  norm_eval=False, init_cfg=None),
    neck=dict(in_channels=[32, 64, 128, 256], out_channels=64),
    panoptic_head=dict(
        in_channels=64,
        sem_channels=32,
        sem_norm_cfg=dict(type='GN', num_groups=8),
        loc_norm_cfg=dict(type='GN', num_groups=16),
        regress_ranges=((-1, 16), (16, 32), (32, 64), (64, 128), (128, 1e8)),
        box_cls_normalizer='foreground'),
    test_cfg=dict(stuff_area_thr=16))

train_dataloader = dict(num_workers=0, persistent_workers=False)
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader

max_iters = 1200
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
