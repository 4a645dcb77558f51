# The built-in synthetic shapes image panoptic dataset (4 things, 3 stuff), generated with
#   python tools/dataset_converters/synthetic_shapes.py data/synthetic_shapes
# Pictures are used at the size they were generated at (64x64 by default).
dataset_type = 'SyntheticShapesPanopticDataset'
data_root = 'data/synthetic_shapes/'

backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadPanopticGT', backend_args=backend_args),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackPanopticInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadPanopticGT', backend_args=backend_args),
    dict(type='PackPanopticInputs')
]

train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    # Infinite: the synthetic schedules are iteration-based, and mmengine's IterBasedTrainLoop sleeps 2 s at
    # every epoch end of a finite sampler (100 sleeps in a 200-iteration run over 16 pictures).
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/panoptic_train.json',
        data_prefix=dict(img='train/', seg='annotations/panoptic_train/'),
        filter_cfg=dict(filter_empty_gt=False),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/panoptic_val.json',
        data_prefix=dict(img='val/', seg='annotations/panoptic_val/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

# PQ against the ground truth of the dataset evaluated (its seg_map_path and segments_info), so overriding
# the dataset's data_root is enough; give ann_file/seg_prefix only for a dataset without annotations.
val_evaluator = dict(type='PanopticQualityMetric', backend_args=backend_args)
test_evaluator = val_evaluator
