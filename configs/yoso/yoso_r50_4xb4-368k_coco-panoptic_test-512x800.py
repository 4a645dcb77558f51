# The COCO model tested at short side 512, long side 800 (the paper's real-time setting: 46.4 PQ, 45.6 FPS).
_base_ = './yoso_r50_4xb4-368k_coco-panoptic.py'
backend_args = None
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(800, 512), keep_ratio=True),
    dict(type='LoadPanopticGT', backend_args=backend_args),
    dict(type='PackPanopticInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
