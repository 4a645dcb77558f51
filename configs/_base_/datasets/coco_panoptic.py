# COCO panoptic 2017 (133 classes). Multi-scale training (short side 480-800, max 1333), as K-Net's 3x recipe.
dataset_type = 'CocoPanopticDataset'
data_root = 'data/coco/'
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadPanopticGT', backend_args=backend_args),
    dict(type='RandomChoiceResize', scales=[(1333, s) for s in range(480, 801, 32)], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackPanopticInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='LoadPanopticGT', backend_args=backend_args),
    dict(type='PackPanopticInputs'),
]
train_dataloader = dict(
    batch_size=2, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='annotations/panoptic_train2017.json',
        data_prefix=dict(img='train2017/', seg='annotations/panoptic_train2017/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32), pipeline=train_pipeline, backend_args=backend_args))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='annotations/panoptic_val2017.json',
        data_prefix=dict(img='val2017/', seg='annotations/panoptic_val2017/'), test_mode=True,
        pipeline=test_pipeline, backend_args=backend_args))
test_dataloader = val_dataloader

# PQ against the ground truth of the dataset evaluated (its seg_map_path and segments_info), so overriding
# the dataset's data_root is enough; give ann_file/seg_prefix only for a dataset without annotations.
val_evaluator = dict(type='PanopticQualityMetric', backend_args=backend_args)
test_evaluator = val_evaluator
