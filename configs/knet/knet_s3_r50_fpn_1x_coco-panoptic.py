# K-Net R-50 1x on COCO panoptic (official knet_s3_r50_fpn_1x_coco-panoptic, PQ 44.3): single-scale
# 1333x800 training, AdamW 1e-4 (backbone x0.25), 12 epochs, steps at 8 and 11, 8 GPUs x 2 images.
_base_ = [
    '../_base_/models/knet_s3_r50_fpn_panoptic.py', '../_base_/datasets/coco_panoptic.py',
    '../_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py'
]
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadPanopticGT', backend_args={{_base_.backend_args}}),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackPanopticInputs'),
]
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.0001, weight_decay=0.05),
    clip_grad=dict(max_norm=1, norm_type=2),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.25)}))
auto_scale_lr = dict(enable=False, base_batch_size=16)
