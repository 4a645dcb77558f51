# Panoptic SegFormer, small, on the synthetic shapes dataset (64x64 pictures upsampled to 128x128; 4 things +
# 3 stuff). Departures from the COCO recipe, so that a DETR-style model trains on one CPU core in minutes:
# a narrow ResNet-18 (32 base channels) trained from scratch with BN, 64 channels, 1 encoder layer and 3
# location-decoder layers (4 heads, 4 points), 30 thing queries, mask decoders of 2 layers, batch 8,
# AdamW lr 1e-3 with a polynomial decay instead of 1.4e-4 steps, and 20 thing candidates at test time.
#   python tools/dataset_converters/synthetic_shapes.py data/synthetic_shapes
#   OMP_NUM_THREADS=1 python tools/train.py configs/panoptic_segformer/panoptic-segformer_r18-tiny_synthetic-shapes.py
# Val PQ 67.1 (things 51.5, stuff 87.9) with the default generator output (1000 train / 100 val pictures)
# after 1500 iterations (0.45 s each on one core, about 11 minutes; 63.0 with 1200 iterations);
# tests/test_configs/test_synthetic_val_pq.py asserts >= 60.
_base_ = [
    '../_base_/models/panoptic_segformer_r50.py', '../_base_/datasets/synthetic_shapes_panoptic_128x128.py',
    '../_base_/default_runtime.py'
]
num_things_classes = 4
num_stuff_classes = 3
embed_dims = 64
model = dict(
    num_things_classes=num_things_classes,
    num_stuff_classes=num_stuff_classes,
    num_queries=30,
    backbone=dict(
        depth=18, base_channels=32, frozen_stages=-1, norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False, init_cfg=None),
    neck=dict(in_channels=[64, 128, 256], out_channels=embed_dims, norm_cfg=dict(type='GN', num_groups=16)),
    encoder=dict(
        num_layers=1,
        layer_cfg=dict(
            self_attn_cfg=dict(embed_dims=embed_dims, num_heads=4),
            ffn_cfg=dict(embed_dims=embed_dims, feedforward_channels=256))),
    decoder=dict(
        num_layers=3,
        layer_cfg=dict(
            self_attn_cfg=dict(embed_dims=embed_dims, num_heads=4),
            cross_attn_cfg=dict(embed_dims=embed_dims, num_heads=4),
            ffn_cfg=dict(embed_dims=embed_dims, feedforward_channels=256))),
    positional_encoding=dict(num_feats=embed_dims // 2),
    bbox_head=dict(
        embed_dims=embed_dims,
        things_mask_decoder=dict(embed_dims=embed_dims, num_heads=4, num_layers=2, feedforward_channels=256),
        stuff_mask_decoder=dict(embed_dims=embed_dims, num_heads=4, num_layers=2, feedforward_channels=256)),
    test_cfg=dict(max_per_image=20))

train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False, sampler=dict(type='InfiniteSampler', shuffle=True))
val_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader

max_iters = 1500
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(custom_keys={'sampling_offsets': dict(lr_mult=0.1),
                                    'reference_points': dict(lr_mult=0.1)}))
param_scheduler = [dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0, end=max_iters, by_epoch=False)]

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=max_iters, by_epoch=False, max_keep_ckpts=1),
    visualization=dict(type='PanopticVisualizationHook', draw=False))
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)
