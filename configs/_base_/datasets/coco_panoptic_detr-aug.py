# COCO panoptic 2017 (133 classes) with DETR's augmentation, as Deformable DETR and Panoptic SegFormer train:
# flip (0.5), then one of two policies, chosen with equal probability:
#   1. short side in {480, 512, ..., 800}, long side <= 1333;
#   2. short side in {400, 500, 600} (long side <= 4200: no limit for COCO), a random crop whose height and
#      width are drawn in [384, 600], then policy 1's resize.
# Batch 1 per GPU (the official 8 GPUs x 1), every image with both sides >= 32 px (filter_empty_gt=False, the
# official dataset). Test: short side 800, long side 1333, no padding (the data preprocessor's
# pad_size_divisor=1).
# Departure from the official mmdet 2.12 pipeline: the boxes of the things are recomputed from the cropped
# masks (recompute_bbox=True; officially the annotation boxes are clipped to the crop). A thing whose mask the
# crop leaves empty keeps a zero box (officially its clipped box); mmdet's FilterAnnotations is not used
# because it does not filter gt_instances_ids.
_base_ = './coco_panoptic.py'
backend_args = None
multi_scale = [(1333, s) for s in range(480, 801, 32)]
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadPanopticGT', backend_args=backend_args),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomChoice',
        transforms=[
            [dict(type='RandomChoiceResize', scales=multi_scale, keep_ratio=True)],
            [
                dict(type='RandomChoiceResize', scales=[(4200, 400), (4200, 500), (4200, 600)], keep_ratio=True),
                dict(type='RandomCrop', crop_type='absolute_range', crop_size=(384, 600), recompute_bbox=True,
                     allow_negative_crop=True),
                dict(type='RandomChoiceResize', scales=multi_scale, keep_ratio=True),
            ],
        ]),
    dict(type='PackPanopticInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='LoadPanopticGT', backend_args=backend_args),
    dict(type='PackPanopticInputs'),
]
train_dataloader = dict(
    batch_size=1,
    num_workers=2,
    dataset=dict(filter_cfg=dict(filter_empty_gt=False, min_size=32), pipeline=train_pipeline))
val_dataloader = dict(batch_size=1, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
