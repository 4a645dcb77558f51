# YOSO R-50 on ADE20K panoptic, official code's recipe: short side 320-1280 (max 2560), 640x640 crop, SSD colour
# jitter, flip, pad 640; temperature 0.5; object-mask threshold 0.2 (official issue #2); batch 16 (4 GPUs x 4),
# AdamW 1e-4 (backbone x0.1), gradient clipping at L2 0.01, 160k iterations with poly decay (the paper states
# 30k). Test: short side 640, long side 2560.
_base_ = ['../_base_/models/yoso_r50.py', '../_base_/datasets/ade20k_panoptic.py', '../_base_/default_runtime.py']
num_things_classes = 100
num_stuff_classes = 50
model = dict(
    num_things_classes=num_things_classes,
    num_stuff_classes=num_stuff_classes,
    panoptic_head=dict(temperature=0.5),
    test_cfg=dict(score_thr=0.2, overlap_thr=0.8))

train_dataloader = dict(batch_size=4, num_workers=4)

max_iters = 160000
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
