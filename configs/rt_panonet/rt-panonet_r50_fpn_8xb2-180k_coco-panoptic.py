# RT-PanoNet R-50-FPN on COCO panoptic (80 things + 53 stuff). The paper's recipe: batch 16 (8 GPUs x 2),
# lr 0.01, weight decay 1e-4, 180k iterations with x0.1 steps at 120k and 160k; shortest side in
# {640, 720, 800}, no crop; lambda_semantic 0.4; test with the long side at 1333. SGD with momentum 0.9 and
# FCOS's warmup are assumptions (not stated). No COCO weights were released. Paper: 37.1 PQ at 63 ms.
_base_ = [
    '../_base_/models/rt-panonet_r50_fpn.py', '../_base_/datasets/coco_panoptic.py', '../_base_/default_runtime.py'
]
num_things_classes = 80
num_stuff_classes = 53
model = dict(
    num_things_classes=num_things_classes,
    num_stuff_classes=num_stuff_classes,
    panoptic_head=dict(loss_semantic=dict(loss_weight=0.4)))
backend_args = None
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadPanopticGT', backend_args=backend_args),
    dict(type='RandomChoiceResize', scales=[(1333, 640), (1333, 720), (1333, 800)], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackPanopticInputs'),
]
# The paper tests with the long side at 1333 (not mmdet's usual short side 800, long side <= 1333).
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(1333, 1333), keep_ratio=True),
    dict(type='LoadPanopticGT', backend_args=backend_args),
    dict(type='PackPanopticInputs'),
]
train_dataloader = dict(batch_size=2, sampler=dict(type='InfiniteSampler', shuffle=True),
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 180000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=10000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', milestones=[120000, 160000], gamma=0.1, by_epoch=False, begin=0, end=max_iters)
]
auto_scale_lr = dict(enable=False, base_batch_size=16)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=10000, max_keep_ckpts=3))
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)
