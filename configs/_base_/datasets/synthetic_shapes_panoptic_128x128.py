# The built-in synthetic shapes dataset with its 64x64 pictures enlarged to 128x128 (keep ratio), so that
# the shapes cover a few pixels at the strides of the models' feature maps. Predictions are evaluated at the
# original 64x64.
_base_ = './synthetic_shapes_panoptic.py'

image_size = (128, 128)
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadPanopticGT', backend_args={{_base_.backend_args}}),
    dict(type='Resize', scale=image_size, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackPanopticInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='Resize', scale=image_size, keep_ratio=True),
    dict(type='LoadPanopticGT', backend_args={{_base_.backend_args}}),
    dict(type='PackPanopticInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
