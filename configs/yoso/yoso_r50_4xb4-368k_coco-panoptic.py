# YOSO R-50 on COCO panoptic, official recipe: large-scale jitter (flip, scale 0.1-2.0 of 1024, 1024x1024
# crop), batch 16 (4 GPUs x 4), AdamW 1e-4 (backbone x0.1, no decay on norms), full-model gradient clipping
# at L2 0.01, 368,750 iterations with steps at 327,778 and 355,092. Test: short side 800, long side 1333.
_base_ = ['../_base_/models/yoso_r50.py', '../_base_/datasets/coco_panoptic.py', '../_base_/default_runtime.py']

image_size = (1024, 1024)
model = dict(
    data_preprocessor=dict(batch_augments=[
        dict(type='BatchFixedSizePad', size=image_size, img_pad_value=0, pad_mask=True, mask_pad_value=0,
             pad_seg=True, seg_pad_value=255)
    ]),
    panoptic_head=dict(temperature=0.05),
    test_cfg=dict(score_thr=0.7, overlap_thr=0.8))

backend_args = None
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadPanopticGT', backend_args=backend_args),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomResize', scale=image_size, ratio_range=(0.1, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=image_size, crop_type='absolute', recompute_bbox=True,
         allow_negative_crop=True),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1e-5, 1e-5), by_mask=True),
    dict(type='PackPanopticInputs'),
]
# The official code trains on every COCO image (no empty-image or size filter).
train_dataloader = dict(batch_size=4, num_workers=4, dataset=dict(pipeline=train_pipeline, filter_cfg=None))

max_iters = 368750
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = dict(
    type='MultiStepLR', begin=0, end=max_iters, by_epoch=False, milestones=[327778, 355092], gamma=0.1)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.0001, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    clip_grad=dict(max_norm=0.01, norm_type=2),
    # detectron2 decays no norm layer, the backbone's included (mmengine's own constructor would decay those).
    constructor='NormDecayOptimWrapperConstructor',
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1, decay_mult=1.0)}, norm_decay_mult=0.0))
auto_scale_lr = dict(enable=False, base_batch_size=16)

default_hooks = dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=5000, max_keep_ckpts=3))
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)
