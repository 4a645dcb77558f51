# K-Net R-50 multi-scale 3x on COCO panoptic (official knet_s3_r50_fpn_ms-3x_coco-panoptic, PQ 47.1): short
# side 640-800 (range), 36 epochs (the official RepeatDataset x3 of 12 epochs), steps at 27 and 33.
_base_ = [
    '../_base_/models/knet_s3_r50_fpn_panoptic.py', '../_base_/datasets/coco_panoptic.py',
    '../_base_/schedules/schedule_3x.py', '../_base_/default_runtime.py'
]
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadPanopticGT', backend_args={{_base_.backend_args}}),
    dict(type='RandomResize', scale=[(1333, 640), (1333, 800)], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackPanopticInputs'),
]
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=train_pipeline))

max_epochs = 36
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=3)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[27, 33], gamma=0.1)
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.0001, weight_decay=0.05),
    clip_grad=dict(max_norm=1, norm_type=2),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.25)}))
auto_scale_lr = dict(enable=False, base_batch_size=16)
