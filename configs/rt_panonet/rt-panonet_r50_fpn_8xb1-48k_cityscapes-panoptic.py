# RT-PanoNet R-50-FPN on Cityscapes panoptic, full size (the released checkpoint's model). The paper's recipe
# (no training code was released): batch 8 (8 GPUs x 1), lr 0.013, weight decay 1e-4, 48k iterations with
# x0.1 steps at 36k and 44k; a 1800x900 random crop rescaled by (0.7, 1.3), flip; lambda_semantic 1. The
# rescale is applied to the image before the crop here (the same distribution of object scales, one resize).
# Optimiser type, momentum and warmup are not stated: SGD with momentum 0.9 and FCOS's warmup (500 iterations
# from 1/3) are assumptions. Test on the full 1024x2048 image. Paper: 58.8 PQ at 99 ms (V100).
_base_ = [
    '../_base_/models/rt-panonet_r50_fpn.py', '../_base_/datasets/cityscapes_panoptic.py',
    '../_base_/default_runtime.py'
]
backend_args = None
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadPanopticGT', backend_args=backend_args),
    dict(type='RandomResize', scale=(2048, 1024), ratio_range=(0.7, 1.3), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(1800, 900), crop_type='absolute', allow_negative_crop=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackPanopticInputs'),
]
train_dataloader = dict(batch_size=1, num_workers=4, dataset=dict(pipeline=train_pipeline))

max_iters = 48000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=4000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.013, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', milestones=[36000, 44000], gamma=0.1, by_epoch=False, begin=0, end=max_iters)
]
auto_scale_lr = dict(enable=False, base_batch_size=8)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=4000, max_keep_ckpts=3))
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)
