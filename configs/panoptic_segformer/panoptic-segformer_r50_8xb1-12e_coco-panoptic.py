# Panoptic SegFormer R-50, 12 epochs on COCO panoptic: the released 1x recipe (official
# configs/panformer/panformer_r50_12e_coco_panoptic.py, checkpoint panoptic_segformer_r50_1x.pth, COCO val PQ 48.0;
# the paper's v1 design at 12 epochs gives 46.4). As the 24-epoch config, with one x0.1 step after epoch 8.
_base_ = './panoptic-segformer_r50_8xb1-24e_coco-panoptic.py'

max_epochs = 12
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[8], gamma=0.1)
]
