# YOSO R-50 on Mapillary Vistas panoptic, official code's recipe: short side 1024-4096 (max 8192), 1024x1024
# crop, SSD colour jitter, flip; 150 proposals; temperature 0.1; object-mask threshold 0.0; 3 FCs in the class
# and mask branches; batch 16 (4 GPUs x 4), AdamW 1e-4 (backbone x0.1), gradient clipping at L2 0.01, 300k
# iterations with poly decay (the paper states 180k). Test: long side 2048.
_base_ = [
    '../_base_/models/yoso_r50.py', '../_base_/datasets/mapillary_vistas_panoptic.py',
    '../_base_/default_runtime.py'
]
num_things_classes = 37
num_stuff_classes = 28
model = dict(
    num_things_classes=num_things_classes,
    num_stuff_classes=num_stuff_classes,
    panoptic_head=dict(
        num_queries=150,
        temperature=0.1,
        layer_cfg=dict(num_cls_fcs=3, num_mask_fcs=3)),
    test_cfg=dict(score_thr=0.0, overlap_thr=0.8))

# The official crop is a plain uniform crop (detectron2 RandomCrop), not the instance-aware one of RT-K-Net.
backend_args = None
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadPanopticGT', backend_args=backend_args),
    dict(type='RandomChoiceResize', scales=[(8192, int(x * 0.1 * 2048)) for x in range(5, 21)], keep_ratio=True),
    dict(type='RandomCrop', crop_size=(1024, 1024), crop_type='absolute', allow_negative_crop=True),
    dict(type='PhotoMetricDistortion'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Pad', size=(1024, 1024), pad_val=dict(img=0, seg=255)),
    dict(type='PackPanopticInputs'),
]
train_dataloader = dict(batch_size=4, num_workers=4, dataset=dict(pipeline=train_pipeline))

max_iters = 300000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=20000)
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

default_hooks = dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=20000, max_keep_ckpts=3))
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)
