# RT-PanoNet R-18-FPN on Cityscapes at half size (512x1024; paper appendix: 46.7 PQ at 40 ms on a V100). The paper
# trains and tests at half size (Appendix D) without giving the augmentation: the full-size one scaled by
# 1/2 (random rescale (0.7, 1.3) of 1024x512, a 900x450 crop) is an assumption. The stuff area limit is
# scaled with the area (4096 / 4).
_base_ = './rt-panonet_r18_fpn_8xb1-48k_cityscapes-panoptic.py'
backend_args = None
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadPanopticGT', backend_args=backend_args),
    dict(type='RandomResize', scale=(1024, 512), ratio_range=(0.7, 1.3), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(900, 450), crop_type='absolute', allow_negative_crop=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackPanopticInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(1024, 512), keep_ratio=True),
    dict(type='LoadPanopticGT', backend_args=backend_args),
    dict(type='PackPanopticInputs'),
]
model = dict(test_cfg=dict(stuff_area_thr=1024))
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
