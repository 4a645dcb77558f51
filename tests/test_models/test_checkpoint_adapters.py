"""The one checkpoint adapter path: official layouts of K-Net, RT-K-Net and YOSO load strictly through the
loader of ``tools/test.py``; class rows follow the official orders; other families, pages and broken files
are refused naming the file.

The official layouts (every key and shape of the released state dicts) and class orders in
``tests/data/official_layouts/`` were taken from the official module definitions (see its README), not from
mmpanoptic's rules.
"""
import json
import os.path as osp
import zipfile

import pytest
import torch
import yaml
from mmengine.config import Config

from mmpanoptic.datasets import (ADE20KPanopticDataset, CityscapesPanopticDataset, CocoPanopticDataset,
                                 MapillaryVistasPanopticDataset)
from mmpanoptic.engine.checkpoint import CheckpointFileError, download_target
from mmpanoptic.engine.load import (CheckpointMismatchError, dataset_meta_from_cfg, load_backbone_weights,
                                    load_weights, read_checkpoint)
from mmpanoptic.models.checkpoint_adapters import ClassLayout, category_id_rows, stuff_first_rows
from mmpanoptic.registry import MODELS
from mmpanoptic.utils import register_all_modules

register_all_modules()
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
LAYOUTS = osp.join(REPO, 'tests', 'data', 'official_layouts')
with open(osp.join(LAYOUTS, 'official_class_orders.json')) as f:
    OFFICIAL_ORDERS = json.load(f)

KNET_COCO = 'configs/knet/knet_s3_r50_fpn_1x_coco-panoptic.py'
RTKNET_CITYSCAPES = 'configs/rtknet/rtknet_rtformer-b_4xb8-90k_cityscapes-panoptic.py'
YOSO_COCO = 'configs/yoso/yoso_r50_4xb4-368k_coco-panoptic.py'
YOSO_CITYSCAPES = 'configs/yoso/yoso_r50_4xb4-180k_cityscapes-panoptic.py'
YOSO_ADE20K = 'configs/yoso/yoso_r50_4xb4-160k_ade20k-panoptic.py'
YOSO_MAPILLARY = 'configs/yoso/yoso_r50_4xb4-300k_mapillary-panoptic.py'
SYNTHETIC = {
    'knet': 'configs/knet/knet_s3_r18-tiny_fpn_synthetic-shapes.py',
    'rtknet': 'configs/rtknet/rtknet_rtformer-tiny_synthetic-shapes.py',
    'yoso': 'configs/yoso/yoso_r18-tiny_synthetic-shapes.py',
    'mask2former': 'configs/mask2former/mask2former_r18_synthetic-shapes.py',
}
LAYOUT_FILES = {
    'knet': 'knet_r50_coco.json',
    'rtknet': 'rtknet_rtformer-b_cityscapes.json',
    'yoso': 'yoso_r50_coco.json',
}
TITLES = {'knet': 'K-Net', 'rtknet': 'RT-K-Net', 'yoso': 'YOSO', 'mask2former': 'Mask2Former'}


def _cfg(path):
    return Config.fromfile(osp.join(REPO, path))


def _build(path):
    return MODELS.build(_cfg(path).model)


def _official(layout, seed=0):
    """(wrapper, state dict) of an official layout, random float values, zero counters."""
    with open(osp.join(LAYOUTS, layout)) as f:
        data = json.load(f)
    gen = torch.Generator().manual_seed(seed)
    state = {k: torch.zeros(shape, dtype=torch.long) if k.endswith('num_batches_tracked') else
             torch.randn(shape, generator=gen) for k, shape in data['keys'].items()}
    return data['wrapper'], state


def _save(tmp_path, name, wrapper, state):
    path = str(tmp_path / name)
    torch.save({wrapper: state}, path)
    return path


# (official key, mmpanoptic key) pairs written from the specs' layout tables, one of each kind.
PAIRS = {
    'knet': {
        'backbone.layer1.0.conv1.weight': 'backbone.layer1.0.conv1.weight',
        'neck.lateral_convs.3.conv.weight': 'neck.lateral_convs.3.conv.weight',
        'rpn_head.init_kernels.weight': 'panoptic_head.proposal_head.init_kernels.weight',
        'rpn_head.conv_seg.bias': 'panoptic_head.proposal_head.conv_seg.bias',
        'rpn_head.localization_fpn.aux_convs.0.gn.weight':
        'panoptic_head.proposal_head.localization_fpn.aux_convs.0.gn.weight',
        'roi_head.mask_head.2.kernel_update_conv.dynamic_layer.weight':
        'panoptic_head.iter_head.stages.2.kernel_update_conv.dynamic_layer.weight',
        'roi_head.mask_head.0.attention.attn.in_proj_weight': 'panoptic_head.iter_head.stages.0.attention.attn.in_proj_weight',
        'roi_head.mask_head.1.ffn.layers.0.0.weight': 'panoptic_head.iter_head.stages.1.ffn.layers.0.0.weight',
        'roi_head.mask_head.2.fc_cls.weight': 'panoptic_head.iter_head.stages.2.fc_cls.weight',
    },
    'rtknet': {
        'backbone.conv1.0.weight': 'backbone.conv1.0.weight',
        'backbone.layer4.attn_l.k': 'backbone.layer4.attn_l.k',
        'backbone.layer4.down.5.weight': 'backbone.layer4.down.5.weight',
        'sem_seg_head.feature_map_generator.da_ppm.scale0.0.weight': 'neck.dappm.scales.0.bn.weight',
        'sem_seg_head.feature_map_generator.da_ppm.scale2.3.weight': 'neck.dappm.scales.2.1.conv.weight',
        'sem_seg_head.feature_map_generator.da_ppm.process1.0.bias': 'neck.dappm.processes.0.bn.bias',
        'sem_seg_head.feature_map_generator.da_ppm.process4.2.weight': 'neck.dappm.processes.3.conv.weight',
        'sem_seg_head.feature_map_generator.da_ppm.shortcut.0.weight': 'neck.dappm.shortcut.bn.weight',
        'sem_seg_head.feature_map_generator.conv.2.weight': 'neck.conv.2.weight',
        'sem_seg_head.feat_transform.6.weight': 'panoptic_head.proposal_head.feat_transform.6.weight',
        'sem_seg_head.init_kernels.weight': 'panoptic_head.proposal_head.init_kernels.weight',
        'sem_seg_head.heads.3.adaptive_kernel_update.dynamic_layer.weight':
        'panoptic_head.iter_head.stages.3.kernel_update_conv.dynamic_layer.weight',
        'sem_seg_head.heads.0.kernel_interaction.attention.out_proj.bias':
        'panoptic_head.iter_head.stages.0.attention.attn.out_proj.bias',
        'sem_seg_head.heads.1.kernel_interaction.ffn.linear2.bias': 'panoptic_head.iter_head.stages.1.ffn.layers.1.bias',
        'sem_seg_head.heads.2.kernel_interaction.ffn.norm.weight': 'panoptic_head.iter_head.stages.2.ffn_norm.weight',
        'sem_seg_head.heads.2.fc_cls.1.bias': 'panoptic_head.iter_head.stages.2.cls_fcs.1.bias',
        'sem_seg_head.heads.2.fc_mask.3.bias': 'panoptic_head.iter_head.stages.2.fc_mask.bias',
    },
    'yoso': {
        'backbone.stem.conv1.weight': 'backbone.conv1.weight',
        'backbone.stem.conv1.norm.running_var': 'backbone.bn1.running_var',
        'backbone.res3.0.shortcut.norm.weight': 'backbone.layer2.0.downsample.1.weight',
        'backbone.res5.2.conv3.weight': 'backbone.layer4.2.conv3.weight',
        'yoso_neck.deconv.deform_conv1.dcn_offset.weight': 'neck.deform_conv1.dcn.conv_offset.weight',
        'yoso_neck.deconv.conv_a5.weight': 'neck.conv_a5.weight',
        'yoso_neck.loc_conv.weight': 'neck.loc_conv.weight',
        'yoso_head.kernels.bias': 'panoptic_head.kernels.bias',
        'yoso_head.mask_heads.1.f_atten.weight_linear.weight': 'panoptic_head.stages.1.f_atten.weight_linear.weight',
        'yoso_head.mask_heads.0.s_atten.in_proj_weight': 'panoptic_head.stages.0.s_atten.attn.in_proj_weight',
    },
}


@pytest.mark.parametrize('family, layout, config, num_keys', [
    ('knet', 'knet_r50_coco.json', KNET_COCO, 502),
    ('rtknet', 'rtknet_rtformer-b_cityscapes.json', RTKNET_CITYSCAPES, 496),
    ('yoso', 'yoso_r50_coco.json', YOSO_COCO, 395),
    ('yoso', 'yoso_r50_cityscapes.json', YOSO_CITYSCAPES, 472),
    ('yoso', 'yoso_r50_ade20k.json', YOSO_ADE20K, 395),
    ('yoso', 'yoso_r50_mapillary.json', YOSO_MAPILLARY, 419),
])
def test_official_layout_loads_strictly_through_the_test_tool_loader(family, layout, config, num_keys, tmp_path):
    wrapper, official = _official(layout)
    assert len(official) == num_keys
    official_file = _save(tmp_path, 'official.pth', wrapper, official)
    cfg = _cfg(config)
    model = MODELS.build(cfg.model)
    load_weights(model, official_file, strict=True, dataset_meta=dataset_meta_from_cfg(cfg))
    loaded = model.state_dict()
    for official_key, key in PAIRS[family].items():
        torch.testing.assert_close(loaded[key], official[official_key], msg=key)
    # The converted file written from the loaded model loads strictly as well, to the same weights.
    converted_file = _save(tmp_path, 'converted.pth', 'state_dict', loaded)
    fresh = MODELS.build(cfg.model)
    load_weights(fresh, converted_file, strict=True)
    for key, value in fresh.state_dict().items():
        assert torch.equal(value, loaded[key]), key


def test_frozen_bn_counters_are_the_only_tolerated_missing_weights(tmp_path):
    wrapper, official = _official('yoso_r50_coco.json')
    assert not any(k.startswith('backbone.') and k.endswith('num_batches_tracked') for k in official)
    cfg = _cfg(YOSO_COCO)
    del official['backbone.res4.0.conv2.norm.running_mean']
    with pytest.raises(CheckpointMismatchError,
                       match=r'official\.pth: does not fit .*missing keys \(1\): backbone\.layer3\.0\.bn2\.running_mean'):
        load_weights(MODELS.build(cfg.model), _save(tmp_path, 'official.pth', wrapper, official), strict=True,
                     dataset_meta=dataset_meta_from_cfg(cfg))


def test_rtknet_feature_head_has_the_official_width():
    _, official = _official('rtknet_rtformer-b_cityscapes.json')
    model = _build(RTKNET_CITYSCAPES)
    assert tuple(official['sem_seg_head.feature_map_generator.conv.2.weight'].shape) == (128, 256, 3, 3)
    assert tuple(model.neck.conv[2].weight.shape) == (128, 256, 3, 3)


@pytest.mark.parametrize('family, config, layout, dataset', [
    ('rtknet', RTKNET_CITYSCAPES, 'rtknet_rtformer-b_cityscapes.json', 'cityscapes'),
    ('yoso', YOSO_COCO, 'yoso_r50_coco.json', 'coco'),
    ('yoso', YOSO_CITYSCAPES, 'yoso_r50_cityscapes.json', 'cityscapes'),
    ('yoso', YOSO_ADE20K, 'yoso_r50_ade20k.json', 'ade20k'),
    ('yoso', YOSO_MAPILLARY, 'yoso_r50_mapillary.json', 'mapillary'),
])
def test_loaded_class_rows_are_the_official_rows_of_each_category(family, config, layout, dataset, tmp_path):
    wrapper, official = _official(layout)
    cfg = _cfg(config)
    meta = dataset_meta_from_cfg(cfg)
    model = MODELS.build(cfg.model)
    load_weights(model, _save(tmp_path, 'official.pth', wrapper, official), strict=True, dataset_meta=meta)
    official_ids = [cat_id for cat_id, _ in OFFICIAL_ORDERS[family][dataset]]
    row_of = {cat_id: row for row, cat_id in enumerate(official_ids)}
    if family == 'rtknet':
        pairs = [('sem_seg_head.heads.3.fc_cls.3.weight', 'panoptic_head.iter_head.stages.3.fc_cls.weight'),
                 ('sem_seg_head.sem_seg_head.5.weight', 'panoptic_head.aux_heads.semantic.layers.5.weight')]
    else:
        pairs = [(f'yoso_head.mask_heads.{s}.fc_cls.{p}', f'panoptic_head.stages.{s}.fc_cls.{p}')
                 for s in (0, 1) for p in ('weight', 'bias')]
    loaded = model.state_dict()
    for official_key, key in pairs:
        for label, cat_id in enumerate(meta['category_ids']):
            assert torch.equal(loaded[key][label], official[official_key][row_of[cat_id]]), (key, label)
        if family == 'yoso':  # the no-object row stays last
            assert torch.equal(loaded[key][-1], official[official_key][-1])


@pytest.mark.parametrize('dataset, dataset_cls, rows_in_place', [
    ('coco', CocoPanopticDataset, 133),
    ('cityscapes', CityscapesPanopticDataset, 0),
    ('ade20k', ADE20KPanopticDataset, 0),
    ('mapillary', MapillaryVistasPanopticDataset, 4),
])
def test_yoso_rows_follow_the_official_category_lists(dataset, dataset_cls, rows_in_place):
    meta = dataset_cls.METAINFO
    classes = ClassLayout(len(meta['thing_classes']), len(meta['stuff_classes']), tuple(meta['category_ids']))
    rows = category_id_rows(classes, 'test')
    official = OFFICIAL_ORDERS['yoso'][dataset]
    assert [official[row][0] for row in rows] == list(meta['category_ids'])
    assert sum(row == label for label, row in enumerate(rows)) == rows_in_place
    # Names agree too, but for two spellings of the official ADE20K list.
    spelling = {'window ': 'window', 'plane': 'airplane'} if dataset == 'ade20k' else {}
    assert [spelling.get(official[row][1], official[row][1]).lower() for row in rows] == \
        [name.lower() for name in meta['classes']]


@pytest.mark.parametrize('dataset, dataset_cls', [('cityscapes', CityscapesPanopticDataset),
                                                  ('mapillary', MapillaryVistasPanopticDataset)])
def test_rtknet_rows_follow_the_official_stuff_first_order(dataset, dataset_cls):
    meta = dataset_cls.METAINFO
    rows = stuff_first_rows(ClassLayout(len(meta['thing_classes']), len(meta['stuff_classes'])))
    official = OFFICIAL_ORDERS['rtknet'][dataset]
    assert [official[row][0] for row in rows] == list(meta['category_ids'])


def _other_family_files(tmp_path, family):
    """Files of every family but ``family``: its official layout and mmpanoptic's synthetic model."""
    files = []
    for other in ('knet', 'rtknet', 'yoso'):
        if other == family:
            continue
        wrapper, official = _official(LAYOUT_FILES[other])
        files.append((other, 'official', _save(tmp_path, f'{other}_official.pth', wrapper, official)))
        files.append((other, 'mmpanoptic',
                      _save(tmp_path, f'{other}_ours.pth', 'state_dict', _build(SYNTHETIC[other]).state_dict())))
    return files


@pytest.mark.parametrize('family', ['knet', 'rtknet', 'yoso', 'mask2former'])
def test_every_family_refuses_every_other_naming_both(family, tmp_path):
    model = _build(SYNTHETIC[family])
    for other, layout, path in _other_family_files(tmp_path, family):
        message = (rf'{osp.basename(path)}: the checkpoint holds {TITLES[other]} weights \({layout} layout\) but '
                   rf'the model is {type(model).__name__}')
        for strict in (True, False):
            with pytest.raises(CheckpointMismatchError, match=message):
                load_weights(model, path, strict=strict)


@pytest.mark.parametrize('family', ['knet', 'rtknet', 'yoso'])
def test_backbone_only_files_load_into_any_family(family, tmp_path):
    backbone = {k: torch.randn_like(v) if v.is_floating_point() else v
                for k, v in _build(SYNTHETIC[family]).state_dict().items() if k.startswith('backbone.')}
    model = _build(SYNTHETIC[family])
    load_weights(model, _save(tmp_path, 'backbone.pth', 'state_dict', backbone), strict=False)
    for key, value in backbone.items():
        assert torch.equal(model.state_dict()[key], value), key


def _truncated_zip(tmp_path):
    whole = str(tmp_path / 'whole.pth')
    torch.save({'state_dict': {'w': torch.zeros(1000)}}, whole)
    data = open(whole, 'rb').read()
    path = tmp_path / 'truncated.pth'
    path.write_bytes(data[:len(data) // 2])
    assert not zipfile.is_zipfile(path)
    return str(path)


@pytest.mark.parametrize('kind, message', [
    ('html', r'page\.pth: an HTML page, not a checkpoint \(.*download the file itself'),
    ('text', r'notes\.pth: not a PyTorch checkpoint \(the file starts with'),
    ('empty', r'empty\.pth: empty file \(0 bytes\)'),
    ('truncated', r'truncated\.pth: truncated or corrupt zip archive'),
    ('legacy_truncated', r'legacy\.pth: unreadable checkpoint \(unexpected EOF'),
])
def test_files_that_are_not_checkpoints_are_named(kind, message, tmp_path):
    if kind == 'html':
        path = tmp_path / 'page.pth'
        path.write_text('<!DOCTYPE html><html><head><title>Google Drive</title></head></html>')
    elif kind == 'text':
        path = tmp_path / 'notes.pth'
        path.write_text('these are not weights\n')
    elif kind == 'empty':
        path = tmp_path / 'empty.pth'
        path.write_bytes(b'')
    elif kind == 'truncated':
        path = _truncated_zip(tmp_path)
    else:
        path = tmp_path / 'legacy.pth'
        torch.save({'state_dict': {'w': torch.zeros(1000)}}, str(path), _use_new_zipfile_serialization=False)
        path.write_bytes(path.read_bytes()[:-100])  # the storages are cut short
    with pytest.raises(CheckpointFileError, match=message):
        read_checkpoint(str(path))


def test_google_drive_links_download_in_direct_form(tmp_path, monkeypatch):
    url, name = download_target('https://drive.google.com/file/d/1YkoaAMw1lLIckEOYss4qf6EQHKHqoUD2/view?usp=sharing')
    assert url == ('https://drive.usercontent.google.com/download?id=1YkoaAMw1lLIckEOYss4qf6EQHKHqoUD2'
                   '&export=download&confirm=t')
    assert name == 'gdrive-1YkoaAMw1lLIckEOYss4qf6EQHKHqoUD2.pth'
    assert download_target('https://example.org/a/b/w.pth?x=1') == ('https://example.org/a/b/w.pth?x=1', 'w.pth')
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path))
    fetched = []

    def serve_page(source, path, progress=True):
        fetched.append(source)
        with open(path, 'w') as f:
            f.write('<html><body>Virus scan warning</body></html>')

    monkeypatch.setattr(torch.hub, 'download_url_to_file', serve_page)
    link = 'https://drive.google.com/file/d/abc-DEF_1/view'
    with pytest.raises(CheckpointFileError, match=r'drive\.google\.com/file/d/abc-DEF_1/view: an HTML page'):
        read_checkpoint(link)
    cached = tmp_path / 'checkpoints' / 'gdrive-abc-DEF_1.pth'
    assert not cached.exists(), 'a page must not stay in the cache'

    def serve_weights(source, path, progress=True):
        fetched.append(source)
        torch.save({'state_dict': {'w': torch.ones(2)}}, path)

    monkeypatch.setattr(torch.hub, 'download_url_to_file', serve_weights)
    assert torch.equal(read_checkpoint(link)['state_dict']['w'], torch.ones(2))
    assert torch.equal(read_checkpoint(link)['state_dict']['w'], torch.ones(2))  # from the cache
    assert cached.is_file() and len(fetched) == 2


def test_metafile_weights_are_direct_downloads():
    for family in ('knet', 'rtknet', 'yoso'):
        with open(osp.join(REPO, 'configs', family, 'metafile.yml')) as f:
            models = yaml.safe_load(f)['Models']
        for model in models:
            weights = model.get('Weights')
            if weights is not None:
                assert weights.endswith('.pth') and 'drive.google.com' not in weights, model['Name']


@pytest.mark.parametrize('config', [RTKNET_CITYSCAPES,
                                    'configs/rtknet/rtknet_rtformer-b_8xb4-300k_mapillary-panoptic.py'])
def test_rtknet_starts_from_the_official_imagenet_rtformer(config):
    init_cfg = _cfg(config).model.backbone.init_cfg
    assert init_cfg.type == 'Pretrained'
    # configs/RT-K-Net-Cityscapes.yaml MODEL.WEIGHTS of the official code
    assert init_cfg.checkpoint == 'https://drive.google.com/file/d/1W_axRYN1UP7uLshDmQVBQvAcOIPzDyIV/view'


def test_rtformer_pretrained_weights_go_through_the_loader(tmp_path):
    cfg = _cfg(RTKNET_CITYSCAPES)
    _, official = _official('rtknet_rtformer-b_cityscapes.json')
    whole_model = _save(tmp_path, 'imagenet.pth', 'model', official)  # detectron2 MODEL.WEIGHTS form
    backbone_only = _save(tmp_path, 'backbone.pth', 'state_dict',
                          {k[len('backbone.'):]: v for k, v in official.items() if k.startswith('backbone.')})
    for path in (whole_model, backbone_only):
        cfg.model.backbone.init_cfg.checkpoint = path
        backbone = MODELS.build(cfg.model.backbone)
        backbone.init_weights()
        torch.testing.assert_close(backbone.layer4.attn_l.k, official['backbone.layer4.attn_l.k'])
    cfg.model.backbone.init_cfg.checkpoint = _save(tmp_path, 'other.pth', 'state_dict', {'fc.weight': torch.ones(1)})
    with pytest.raises(CheckpointMismatchError, match=r'other\.pth: none of its 1 keys .* is a key of RTFormer'):
        MODELS.build(cfg.model.backbone).init_weights()
    with pytest.raises(CheckpointMismatchError, match='none of its'):
        load_backbone_weights(MODELS.build(cfg.model.backbone), cfg.model.backbone.init_cfg.checkpoint)
