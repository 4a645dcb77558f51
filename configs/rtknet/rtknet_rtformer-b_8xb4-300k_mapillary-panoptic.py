# RT-K-Net (RTFormer-Base) on Mapillary Vistas v1.2 panoptic (official RT-K-Net-Mapillary.yaml; PQ 33.2,
# 69 ms): 8 GPUs x 4 images, instance-aware 1024x1024 crops padded to 1024, AdamW 1e-4 without warmup,
# poly schedule, 300k iterations, AMP. Test with the long side at 2048 and score threshold 0.0.
# ImageNet RTFormer-B, the official config's MODEL.WEIGHTS (Google Drive; fetched in its direct-download
# form and cached as gdrive-<id>.pth, see configs/rtknet/README.md for the manual download).
rtformer_b_imagenet = 'https://drive.google.com/file/d/1W_axRYN1UP7uLshDmQVBQvAcOIPzDyIV/view'
_base_ = [
    '../_base_/models/rtknet_rtformer-b.py', '../_base_/datasets/mapillary_vistas_panoptic.py',
    '../_base_/default_runtime.py'
]
num_things_classes = 37
num_stuff_classes = 28
model = dict(
    num_things_classes=num_things_classes,
    num_stuff_classes=num_stuff_classes,
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=rtformer_b_imagenet)),
    test_cfg=dict(score_thr=0.0, overlap_thr=0.6, merge='parallel'))
train_dataloader = dict(batch_size=4)

max_iters = 300000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=20000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='AmpOptimWrapper',
    optimizer=dict(type='AdamW', lr=0.0001, weight_decay=0.05),
    clip_grad=dict(max_norm=1.0, norm_type=2),
    paramwise_cfg=dict(norm_decay_mult=0.0))
param_scheduler = [dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0, end=max_iters, by_epoch=False)]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=20000, max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
auto_scale_lr = dict(enable=False, base_batch_size=32)
