# Panoptic SegFormer as the arXiv v1 paper describes it: 400 unified queries for things and stuff, a location
# decoder without boxes plus a train-only centre/scale MLP (L1 location loss, weight 5), one mask decoder of
# 4 layers, class from the refined query, Hungarian matching on class + dice costs, and Algorithm 1 (with its
# typo fixed: masks fill unassigned pixels) at test time. Paper recipe: 50 epochs, lr 1.8e-4 (x0.1 at
# epoch 40), backbone lr x0.1. The paper reports COCO val PQ 50.0 for R-50 at 50 epochs; no checkpoint of
# this design was released (every release file is the decoupled design of the other configs), so no
# number here was reproduced.
_base_ = [
    '../_base_/models/panoptic_segformer_r50.py', '../_base_/datasets/coco_panoptic.py',
    '../_base_/default_runtime.py'
]
model = dict(
    num_queries=400,
    with_box_refine=False,
    bbox_head=dict(
        _delete_=True,
        type='PanopticSegFormerV1Head',
        embed_dims=256,
        mask_decoder=dict(
            type='AttentionMaskDecoder', embed_dims=256, num_heads=8, num_layers=4, feedforward_channels=1024),
        loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0),
        loss_mask=dict(type='DiceLoss', use_sigmoid=False, activate=False, naive_dice=False, eps=1e-6,
                       reduction='mean', loss_weight=1.0),
        loss_loc=dict(type='L1Loss', loss_weight=5.0)),
    train_cfg=dict(
        _delete_=True,
        assigner=dict(
            type='HungarianAssigner',
            match_costs=[dict(type='FocalLossCost', weight=1.0), dict(type='SquaredDiceCost', weight=1.0)])),
    # Algorithm 1: sort by score, drop s < 0.3, fill masks (> 0.5) on unassigned pixels in order.
    test_cfg=dict(_delete_=True, scorer='sigmoid', rescore='none', score_filter='by_kind', score_thr=0.3,
                  stuff_score_thr=0.3, merge='paint', overlap_thr=1.0, stuff_overlap_thr=1.0, mask_thr=0.5,
                  mask_resize='crop_direct', mask_stride=8, mask_activation='identity', max_per_image=100))

train_dataloader = dict(batch_size=1, num_workers=2)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1.8e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
max_epochs = 50
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[40], gamma=0.1)]
auto_scale_lr = dict(enable=False, base_batch_size=8)
