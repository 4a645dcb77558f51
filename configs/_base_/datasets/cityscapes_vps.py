# Cityscapes-VPS (VPSNet layout). Video K-Net paper recipe: reference = nearest labelled frame, resize
# (2048, 1024) x [1, 2], 1024x2048 crop, flip. Test: the labelled frames of every video, in order.
dataset_type = 'CityscapesVPSDataset'
data_root = 'data/cityscapes_vps/'
backend_args = None

train_pipeline = [
    dict(type='UniformRefFrameSample', num_ref_imgs=1, frame_range=1, filter_key_img=True),
    dict(type='TransformBroadcaster', share_random_params=True, transforms=[
        dict(type='LoadImageFromFile', backend_args=backend_args),
        dict(type='LoadPanopticGT', backend_args=backend_args),
        dict(type='RandomResize', scale=(2048, 1024), ratio_range=(1.0, 2.0), keep_ratio=True),
        dict(type='RandomCrop', crop_size=(2048, 1024), allow_negative_crop=True),
        dict(type='RandomFlip', prob=0.5),
        dict(type='Pad', size=(2048, 1024), pad_val=dict(img=0, seg=255)),
    ]),
    dict(type='PackVideoPanopticInputs'),
]
test_pipeline = [
    dict(type='TransformBroadcaster', transforms=[
        dict(type='LoadImageFromFile', backend_args=backend_args),
        dict(type='Resize', scale=(2048, 1024), keep_ratio=True),
        dict(type='LoadPanopticGT', backend_args=backend_args),
    ]),
    dict(type='PackVideoPanopticInputs'),
]
train_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True,
    sampler=dict(type='TrackImgSampler'),
    batch_sampler=dict(type='TrackAspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='panoptic_gt_train_city_vps.json',
        data_prefix=dict(img='train/img/', seg='train/panoptic_video/'), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='TrackImgSampler'),
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='panoptic_gt_val_city_vps.json',
        data_prefix=dict(img='val/img/', seg='val/panoptic_video/'), test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader

# VPQ, convention A (panopticapi crowd rule), windows of 1-4 labelled frames (lambda = 0, 5, 10, 15).
val_evaluator = dict(type='VideoPanopticMetric', metric=['VPQ'], format='cityscapes-vps', windows=[1, 2, 3, 4])
test_evaluator = val_evaluator
