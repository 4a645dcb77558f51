# Mapillary Vistas v1.2 panoptic (65 classes). YOSO / RT-K-Net recipe: 16 short sides 1024-4096 (max 8192),
# 1024x1024 instance-aware crop, SSD colour jitter, flip, pad to 1024; test with the long side at 2048.
dataset_type = 'MapillaryVistasPanopticDataset'
data_root = 'data/mapillary_vistas/'
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadPanopticGT', backend_args=backend_args),
    # the official MIN_SIZE_TRAIN of RT-K-Net and YOSO: int(x * 0.1 * 2048) for x in 5..20 (16 sizes)
    dict(type='RandomChoiceResize', scales=[(8192, int(x * 0.1 * 2048)) for x in range(5, 21)], keep_ratio=True),
    dict(type='InstanceAwareRandomCrop', crop_size=(1024, 1024), max_tries=10),
    dict(type='PhotoMetricDistortion'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Pad', size=(1024, 1024), pad_val=dict(img=0, seg=255)),
    dict(type='PackPanopticInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(2048, 2048), keep_ratio=True),
    dict(type='LoadPanopticGT', backend_args=backend_args),
    dict(type='PackPanopticInputs'),
]
train_dataloader = dict(
    batch_size=2, num_workers=4, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='training/panoptic/panoptic_2018.json',
        data_prefix=dict(img='training/images/', seg='training/panoptic/'),
        pipeline=train_pipeline, backend_args=backend_args))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='validation/panoptic/panoptic_2018.json',
        data_prefix=dict(img='validation/images/', seg='validation/panoptic/'), test_mode=True,
        pipeline=test_pipeline, backend_args=backend_args))
test_dataloader = val_dataloader

# PQ against the ground truth of the dataset evaluated (its seg_map_path and segments_info), so overriding
# the dataset's data_root is enough; give ann_file/seg_prefix only for a dataset without annotations.
val_evaluator = dict(type='PanopticQualityMetric', backend_args=backend_args)
test_evaluator = val_evaluator
