# Panoptic SegFormer R-50, 24 epochs on COCO panoptic: the released recipe (official
# configs/panformer/panformer_r50_24e_coco_panoptic.py, checkpoint panoptic_segformer_r50_2x.pth, COCO val PQ 49.6;
# the paper's v1 design trained 50 epochs gives 50.0). DETR augmentation (flip, multi-scale short side 480-800 or
# resize-crop-resize), batch 8 (8 GPUs x 1), AdamW lr 1.4e-4 (the paper states 1.8e-4), weight decay 1e-4,
# lr x0.1 on the backbone, the deformable attention's sampling offsets and the reference-point FC
# (reference_points_fc), gradient clipping at L2 0.1, 24 epochs with one x0.1 step after epoch 18, no warm-up.
# Test: short side 800, long side 1333, batch 1, no padding; mask-wise merge at quality 0.25 (things and stuff).
_base_ = [
    '../_base_/models/panoptic_segformer_r50.py', '../_base_/datasets/coco_panoptic_detr-aug.py',
    '../_base_/schedules/schedule_panoptic-segformer_24e.py', '../_base_/default_runtime.py'
]
