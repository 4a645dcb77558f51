# YOSO R-50 on Cityscapes panoptic, official recipe: short side 512-2048 (max 4096), 512x1024 crop, SSD colour
# jitter, flip; SyncBN in the backbone; 3 FCs in the class and mask branches; batch 16 (4 GPUs x 4), AdamW 1e-4
# (backbone x0.1), gradient clipping at L2 0.01, 180k iterations with poly decay. Test at 1024x2048.
_base_ = [
    '../_base_/models/yoso_r50.py', '../_base_/datasets/cityscapes_panoptic.py', '../_base_/default_runtime.py'
]
num_things_classes = 8
num_stuff_classes = 11
model = dict(
    num_things_classes=num_things_classes,
    num_stuff_classes=num_stuff_classes,
    backbone=dict(norm_cfg=dict(type='SyncBN', requires_grad=True), norm_eval=False),
    panoptic_head=dict(
        temperature=0.05,
        layer_cfg=dict(num_cls_fcs=3, num_mask_fcs=3)),
    test_cfg=dict(score_thr=0.8, overlap_thr=0.8))

# The official crop is a plain uniform crop (detectron2 RandomCrop), not the instance-aware one of RT-K-Net.
backend_args = None
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadPanopticGT', backend_args=backend_args),
    dict(type='RandomChoiceResize', scales=[(4096, int(1024 * r / 10)) for r in range(5, 21)], keep_ratio=True),
    dict(type='RandomCrop', crop_size=(1024, 512), crop_type='absolute', allow_negative_crop=True),
    dict(type='PhotoMetricDistortion'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Pad', size=(1024, 512), pad_val=dict(img=0, seg=255)),
    dict(type='PackPanopticInputs'),
]
train_dataloader = dict(batch_size=4, num_workers=4, dataset=dict(pipeline=train_pipeline))

max_iters = 180000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters, by_epoch=False)
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
