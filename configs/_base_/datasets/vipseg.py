# VIPSeg (720p). Video K-Net recipe: short side 720 x [1, 2], 736x736 crop, flip, same on key and reference.
dataset_type = 'VIPSegDataset'
data_root = 'data/VIPSeg_720P/'
backend_args = None

train_pipeline = [
    dict(type='UniformRefFrameSample', num_ref_imgs=1, frame_range=2, filter_key_img=True),
    dict(type='TransformBroadcaster', share_random_params=True, transforms=[
        dict(type='LoadImageFromFile', backend_args=backend_args),
        dict(type='LoadPanopticGT', backend_args=backend_args),
        dict(type='RandomResize', scale=(100000, 720), ratio_range=(1.0, 2.0), keep_ratio=True),
        dict(type='RandomCrop', crop_size=(736, 736), allow_negative_crop=True),
        dict(type='RandomFlip', prob=0.5),
        dict(type='Pad', size=(736, 736), pad_val=dict(img=0, seg=255)),
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
    batch_size=1, num_workers=2, persistent_workers=True,
    sampler=dict(type='TrackImgSampler'),
    batch_sampler=dict(type='TrackAspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='panoptic_gt_VIPSeg_train.json',
        data_prefix=dict(img='images/', seg='panomasksRGB/'), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='TrackImgSampler'),
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='panoptic_gt_VIPSeg_val.json',
        data_prefix=dict(img='images/', seg='panomasksRGB/'), test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader

# VPQ (convention A) over windows k in {1, 2, 4, 6}, and STQ.
val_evaluator = dict(type='VideoPanopticMetric', metric=['VPQ', 'STQ'], format='vipseg', windows=[1, 2, 4, 6])
test_evaluator = val_evaluator
