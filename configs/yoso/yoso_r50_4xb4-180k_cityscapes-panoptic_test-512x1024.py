# The Cityscapes model tested at 512x1024 (the same checkpoint; only the test size changes, official issue #23).
_base_ = './yoso_r50_4xb4-180k_cityscapes-panoptic.py'
backend_args = None
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(1024, 512), keep_ratio=True),
    dict(type='LoadPanopticGT', backend_args=backend_args),
    dict(type='PackPanopticInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
