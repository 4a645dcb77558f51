# ADE20K panoptic (150 classes). YOSO recipe: short side 320-1280 (16 values, max 2560), 640x640 crop,
# SSD colour jitter, flip, pad to 640.
dataset_type = 'ADE20KPanopticDataset'
data_root = 'data/ADEChallengeData2016/'
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadPanopticGT', backend_args=backend_args),
    dict(type='RandomChoiceResize', scales=[(2560, s) for s in range(320, 1281, 64)], keep_ratio=True),
    dict(type='RandomCrop', crop_size=(640, 640), allow_negative_crop=True),
    dict(type='PhotoMetricDistortion'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Pad', size=(640, 640), pad_val=dict(img=0, seg=255)),
    dict(type='PackPanopticInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(2560, 640), keep_ratio=True),
    dict(type='LoadPanopticGT', backend_args=backend_args),
    dict(type='PackPanopticInputs'),
]
train_dataloader = dict(
    batch_size=2, num_workers=2, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='ade20k_panoptic_train.json',
        data_prefix=dict(img='images/training/', seg='ade20k_panoptic_train/'),
        pipeline=train_pipeline, backend_args=backend_args))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='ade20k_panoptic_val.json',
        data_prefix=dict(img='images/validation/', seg='ade20k_panoptic_val/'), test_mode=True,
        pipeline=test_pipeline, backend_args=backend_args))
test_dataloader = val_dataloader

# PQ against the ground truth of the dataset evaluated (its seg_map_path and segments_info), so overriding
# the dataset's data_root is enough; give ann_file/seg_prefix only for a dataset without annotations.
val_evaluator = dict(type='PanopticQualityMetric', backend_args=backend_args)
test_evaluator = val_evaluator
