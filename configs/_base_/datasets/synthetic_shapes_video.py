# Synthetic shapes video dataset (KITTI-STEP layout), written by
# `python tools/dataset_converters/synthetic_shapes.py data/synthetic_shapes_video --video`.
dataset_type = 'SyntheticShapesVideoDataset'
data_root = 'data/synthetic_shapes_video/'
backend_args = None

train_pipeline = [
    dict(type='UniformRefFrameSample', num_ref_imgs=1, frame_range=2, filter_key_img=True),
    dict(type='TransformBroadcaster', share_random_params=True, transforms=[
        dict(type='LoadImageFromFile', backend_args=backend_args),
        dict(type='LoadPanopticGT', backend_args=backend_args),
        dict(type='RandomFlip', prob=0.5),
    ]),
    dict(type='PackVideoPanopticInputs'),
]
test_pipeline = [
    dict(type='TransformBroadcaster', transforms=[
        dict(type='LoadImageFromFile', backend_args=backend_args),
        dict(type='LoadPanopticGT', backend_args=backend_args),
    ]),
    dict(type='PackVideoPanopticInputs'),
]
train_dataloader = dict(
    batch_size=2, num_workers=2, persistent_workers=True,
    sampler=dict(type='TrackImgSampler'),
    batch_sampler=dict(type='TrackAspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type, data_root=data_root,
        data_prefix=dict(img='images/train/', seg='panoptic_maps/train/'), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='TrackImgSampler'),
    dataset=dict(
        type=dataset_type, data_root=data_root,
        data_prefix=dict(img='images/val/', seg='panoptic_maps/val/'), test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader

# STEP encoding; the 4 shape classes are the tracked things (convention B, windows of 1-4 frames).
val_evaluator = dict(type='VideoPanopticMetric', metric=['VPQ', 'STQ'], format='kitti-step', windows=[1, 2, 3, 4])
test_evaluator = val_evaluator
