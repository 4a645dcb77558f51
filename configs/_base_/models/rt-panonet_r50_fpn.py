# RT-PanoNet (real-time panoptic segmentation from dense detections) with ResNet-50-FPN, Cityscapes classes
# (8 things + 11 stuff). Inference settings of the released code; training settings of the paper.
num_things_classes = 8
num_stuff_classes = 11
model = dict(
    type='RTPanoNet',
    num_things_classes=num_things_classes,
    num_stuff_classes=num_stuff_classes,
    # The released checkpoint's input: BGR 0-255 minus the caffe means, std 1, padded to a multiple of 128.
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[102.9801, 115.9465, 122.7717],
        std=[1.0, 1.0, 1.0],
        bgr_to_rgb=False,
        pad_size_divisor=128,
        pad_mask=True,
        mask_pad_value=0,
        pad_seg=True,
        seg_pad_value=255),
    # torchvision's ResNet-50 with frozen BN (ImageNet weights from PyTorch; conv1 and layer1 frozen).
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    # P3-P5 from C3-C5, P6 = conv(P5 output), P7 = conv(ReLU(P6)): torchvision's FPN + LastLevelP6P7.
    neck=dict(
        type='FPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=256,
        start_level=1,
        add_extra_convs='on_output',
        relu_before_extra_convs=True,
        num_outs=5,
        init_cfg=dict(type='Kaiming', layer='Conv2d', a=1, distribution='uniform')),
    panoptic_head=dict(
        type='RTPanoHead',
        in_channels=256,
        sem_channels=128,
        strides=(8, 16, 32, 64, 128),
        # alpha / gamma: not given by the paper; FCOS's.
        loss_box_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0),
        loss_box_reg=dict(type='IoULoss', mode='log', eps=1e-6, loss_weight=1.0),  # UnitBox: -ln IoU
        loss_centerness=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_levelness=dict(type='CrossEntropyLoss', use_sigmoid=False, ignore_index=255, avg_non_ignore=True,
                            loss_weight=1.0),
        # Bootstrapped CE: the worst 30 % of the pixels; lambda 1 on Cityscapes, 0.4 on COCO.
        loss_semantic=dict(type='TopKPixelCrossEntropyLoss', top_k_percent=0.3, ignore_index=255, loss_weight=1.0),
        loss_mask=dict(type='ExplicitMaskLoss', loss_weight=1.0),
        # Open in the paper: the training query boxes (predicted boxes at foreground locations after NMS).
        mask_loss_queries='nms',
        assign='mask',
        box_cls_normalizer='locations'),
    train_cfg=dict(nms_iou_thr=0.6),
    # The released inference; panoptic fusion (not released) is Kirillov et al.'s heuristic.
    test_cfg=dict(
        score_thr=0.05,
        nms_pre=1000,
        nms_iou_thr=0.6,
        global_iou_thr=0.97,
        max_per_img=100,
        mask_score='smoothed_giou',
        mask_thr=0.4,
        instance_score_thr=0.5,
        overlap_thr=0.5,
        stuff_area_thr=4096,
        instance_masks=False))
