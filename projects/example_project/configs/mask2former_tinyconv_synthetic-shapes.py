_base_ = ['../../../configs/mask2former/mask2former_r18_synthetic-shapes.py']

custom_imports = dict(imports=['projects.example_project.example'], allow_failed_imports=False)

model = dict(
    backbone=dict(_delete_=True, type='TinyConvNet', stage_channels=(32, 64, 128, 256), init_cfg=None),
    panoptic_head=dict(in_channels=[32, 64, 128, 256]))
