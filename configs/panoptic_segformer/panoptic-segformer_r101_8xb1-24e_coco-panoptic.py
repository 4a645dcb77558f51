# Panoptic SegFormer R-101, 24 epochs on COCO panoptic: the released recipe (official
# configs/panformer/panformer_r101_24e_coco_panoptic.py, checkpoint panoptic_segformer_r101_2x.pth, COCO val PQ 50.6;
# the paper's v1 design trained 50 epochs gives 50.4). As the R-50 24-epoch config with a ResNet-101.
_base_ = './panoptic-segformer_r50_8xb1-24e_coco-panoptic.py'

model = dict(backbone=dict(depth=101, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')))
