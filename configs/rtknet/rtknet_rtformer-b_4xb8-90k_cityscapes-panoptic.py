# RT-K-Net (RTFormer-Base) on Cityscapes panoptic (official RT-K-Net-Cityscapes.yaml; PQ 60.2, 32 ms on a
# Titan RTX at 1024x2048): 4 GPUs x 8 images, crops 512x1024 (instance-aware), AdamW 2e-4 (the paper says
# 2e-3; the code uses 2e-4), poly schedule, 90k iterations, AMP. Test at 1024x2048 with score 0.3, overlap 0.6.
# ImageNet RTFormer-B, the official config's MODEL.WEIGHTS (Google Drive; fetched in its direct-download
# form and cached as gdrive-<id>.pth, see configs/rtknet/README.md for the manual download).
rtformer_b_imagenet = 'https://drive.google.com/file/d/1W_axRYN1UP7uLshDmQVBQvAcOIPzDyIV/view'
_base_ = [
    '../_base_/models/rtknet_rtformer-b.py', '../_base_/datasets/cityscapes_panoptic.py',
    '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=rtformer_b_imagenet)),
    test_cfg=dict(score_thr=0.3, overlap_thr=0.6, merge='parallel'))

max_iters = 90000
# detectron2's EVAL_PERIOD and CHECKPOINT_PERIOD of the official config: 5000.
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='AmpOptimWrapper',
    optimizer=dict(type='AdamW', lr=0.0002, weight_decay=0.05),
    clip_grad=dict(max_norm=1.0, norm_type=2),
    paramwise_cfg=dict(norm_decay_mult=0.0))
# detectron2's WarmupPolyLR: the poly decay runs from iteration 0, the linear warm-up multiplies it.
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000),
    dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0, end=max_iters, by_epoch=False)
]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=5000, max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
auto_scale_lr = dict(enable=False, base_batch_size=32)
