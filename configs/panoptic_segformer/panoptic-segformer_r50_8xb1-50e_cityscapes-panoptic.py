# Panoptic SegFormer R-50 on Cityscapes panoptic (8 things + 11 stuff): no official numbers: the paper trains
# neither Cityscapes nor ADE20K, and no Cityscapes config or checkpoint was released.
# The released COCO model and optimiser (AdamW lr 1.4e-4, weight decay 1e-4, lr x0.1 on the backbone, sampling
# offsets and reference-point FC, gradient clipping at L2 0.1, batch 8 = 8 GPUs x 1, no warm-up) with the paper's
# 50-epoch schedule (one x0.1 step after epoch 40) and the project's Cityscapes pipeline (short side 512-2048,
# instance-aware 512x1024 crop, colour jitter, flip); test at 1024x2048. One stuff query per stuff class (11).
_base_ = [
    '../_base_/models/panoptic_segformer_r50.py', '../_base_/datasets/cityscapes_panoptic.py',
    '../_base_/schedules/schedule_panoptic-segformer_24e.py', '../_base_/default_runtime.py'
]
num_things_classes = 8
num_stuff_classes = 11
model = dict(num_things_classes=num_things_classes, num_stuff_classes=num_stuff_classes)

# Epoch-based: a finite sampler (the base's InfiniteSampler never ends an epoch).
train_dataloader = dict(batch_size=1, num_workers=2, sampler=dict(type='DefaultSampler', shuffle=True))

max_epochs = 50
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[40], gamma=0.1)
]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=3))
