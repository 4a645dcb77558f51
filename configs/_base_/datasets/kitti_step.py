# KITTI-STEP (deeplab2 layout). Video K-Net recipe: key + 1 reference frame within +-2 frames, the same
# resize ((1248, 384) x [0.5, 2.0]), 384x1248 crop and flip on both. Test: whole sequences, native size.
dataset_type = 'KITTISTEPDataset'
data_root = 'data/kitti-step/'
backend_args = None

train_pipeline = [
    dict(type='UniformRefFrameSample', num_ref_imgs=1, frame_range=2, filter_key_img=True),
    dict(type='TransformBroadcaster', share_random_params=True, transforms=[
        dict(type='LoadImageFromFile', backend_args=backend_args),
        dict(type='LoadPanopticGT', backend_args=backend_args),
        dict(type='RandomResize', scale=(1248, 384), ratio_range=(0.5, 2.0), keep_ratio=True),
        dict(type='RandomCrop', crop_size=(1248, 384), allow_negative_crop=True),
        dict(type='RandomFlip', prob=0.5),
        dict(type='Pad', size=(1248, 384), pad_val=dict(img=0, seg=255)),
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
        type=dataset_type, data_root=data_root,
        data_prefix=dict(img='images/train/', seg='panoptic_maps/train/'), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='TrackImgSampler'),
    dataset=dict(
        type=dataset_type, data_root=data_root,
        data_prefix=dict(img='images/val/', seg='panoptic_maps/val/'), test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader

# STQ (official things: person and car, trainIds 11 and 13; tracks over whole sequences) and VPQ over windows
# of 1-4 consecutive frames (convention B: no crowd rule; class mean over present classes, class_mean='all' for
# the STEP scripts' convention). thing_classes is explicit so that a metainfo with 8 things keeps the official set.
val_evaluator = dict(
    type='VideoPanopticMetric', metric=['STQ', 'VPQ'], format='kitti-step', windows=[1, 2, 3, 4],
    thing_classes=('person', 'car'))
test_evaluator = val_evaluator
