# K-Net R-50 on Cityscapes panoptic: the baseline of RT-K-Net's ablation (paper Table I, 56.9 PQ at 112 ms),
# trained with RT-K-Net's Cityscapes recipe (instance-aware 512x1024 crops, 90k iterations, batch 32) and
# K-Net's model: separate stuff kernels, summed group features in FP32, iterative post-processing.
_base_ = [
    '../_base_/models/knet_s3_r50_fpn_panoptic.py', '../_base_/datasets/cityscapes_panoptic.py',
    '../_base_/default_runtime.py'
]
num_things_classes = 8
num_stuff_classes = 11
model = dict(
    num_things_classes=num_things_classes,
    num_stuff_classes=num_stuff_classes,
    backbone=dict(norm_cfg=dict(type='SyncBN', requires_grad=True)),
    test_cfg=dict(merge='iterative'))

max_iters = 90000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=10000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.0001, weight_decay=0.05),
    clip_grad=dict(max_norm=1, norm_type=2),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.25)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000),
    dict(type='PolyLR', power=0.9, eta_min=0.0, begin=1000, end=max_iters, by_epoch=False)
]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=10000, max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
auto_scale_lr = dict(enable=False, base_batch_size=32)
