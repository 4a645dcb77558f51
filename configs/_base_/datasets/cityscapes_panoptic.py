# Cityscapes panoptic (19 classes, labelId JSON from cityscapesScripts). RT-K-Net / YOSO recipe: short side
# {0.5, 0.6, ..., 2.0} x 1024 (max 4096), instance-aware 512x1024 crop, SSD colour jitter, flip.
dataset_type = 'CityscapesPanopticDataset'
data_root = 'data/cityscapes/'
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadPanopticGT', backend_args=backend_args),
    dict(type='RandomChoiceResize', scales=[(4096, int(1024 * r / 10)) for r in range(5, 21)], keep_ratio=True),
    dict(type='InstanceAwareRandomCrop', crop_size=(1024, 512), max_tries=10),
    dict(type='PhotoMetricDistortion'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Pad', size=(1024, 512), pad_val=dict(img=0, seg=255)),
    dict(type='PackPanopticInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(2048, 1024), keep_ratio=True),
    dict(type='LoadPanopticGT', backend_args=backend_args),
    dict(type='PackPanopticInputs'),
]
train_dataloader = dict(
    batch_size=8, num_workers=4, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='gtFine/cityscapes_panoptic_train.json',
        data_prefix=dict(img='leftImg8bit/train/', seg='gtFine/cityscapes_panoptic_train/'),
        pipeline=train_pipeline, backend_args=backend_args))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='gtFine/cityscapes_panoptic_val.json',
        data_prefix=dict(img='leftImg8bit/val/', seg='gtFine/cityscapes_panoptic_val/'), test_mode=True,
        pipeline=test_pipeline, backend_args=backend_args))
test_dataloader = val_dataloader

# PQ against the ground truth of the dataset evaluated (its seg_map_path and segments_info), so overriding
# the dataset's data_root is enough; give ann_file/seg_prefix only for a dataset without annotations.
val_evaluator = dict(type='PanopticQualityMetric', backend_args=backend_args)
test_evaluator = val_evaluator
