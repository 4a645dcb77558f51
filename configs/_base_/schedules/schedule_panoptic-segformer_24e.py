# Panoptic SegFormer's released optimiser and schedule (official configs/panformer/base.py): AdamW lr 1.4e-4
# (the paper states 1.8e-4), weight decay 1e-4, lr x0.1 on the backbone, the deformable attention's sampling
# offsets and the reference-point FC, gradient clipping at L2 0.1, batch 8 (8 GPUs x 1), no warm-up,
# 24 epochs with one x0.1 step after epoch 18. A config with another length redefines max_epochs, train_cfg
# and param_scheduler.
max_epochs = 24
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[18], gamma=0.1)]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1.4e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    # mmengine matches custom keys as substrings of the parameter names: 'backbone' only matches backbone.*,
    # 'reference_points' matches reference_points_fc.* (the official transformer.reference_points).
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=0.1),
            'sampling_offsets': dict(lr_mult=0.1),
            'reference_points': dict(lr_mult=0.1)
        }))
auto_scale_lr = dict(enable=False, base_batch_size=8)
