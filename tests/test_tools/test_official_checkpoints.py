"""Official checkpoints through the user's paths: ``tools/test.py``, ``init_model``, ``load_from`` and the
converter, all on the one adapter path (in-process, on a tiny generated dataset)."""
import importlib.util
import os.path as osp
import re
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmpanoptic.apis import inference_model, init_model
from mmpanoptic.datasets.synthetic_shapes import generate_image_dataset
from mmpanoptic.engine import CheckpointAdapterHook
from mmpanoptic.engine.load import CheckpointMismatchError
from mmpanoptic.evaluation.metrics.dump_results import load_predictions
from mmpanoptic.registry import MODELS
from mmpanoptic.structures.panoptic_encoding import INSTANCE_OFFSET
from mmpanoptic.utils import register_all_modules

register_all_modules()
KNET = 'configs/knet/knet_s3_r18-tiny_fpn_synthetic-shapes.py'


def _tool(repo_root, path):
    spec = importlib.util.spec_from_file_location(osp.splitext(osp.basename(path))[0], osp.join(repo_root, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def knet_setup(tmp_path_factory, tiny_config):
    """A K-Net synthetic config on 4 generated val pictures, and its random weights in the official layout."""
    tmp = tmp_path_factory.mktemp('official')
    data_root = tmp / 'data'
    generate_image_dataset(str(data_root), seed=5, num_train=2, num_val=4, size=(64, 64))
    config = tiny_config(tmp, KNET, data_root)
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(config)).model)
    model.init_weights()
    ours = model.state_dict()
    # The mmdet 2.x layout of the official K-Net (tests/data/official_layouts/knet_r50_coco.json): the same
    # names below the official parents.
    official = {re.sub(r'^panoptic_head\.iter_head\.stages\.', 'roi_head.mask_head.',
                       re.sub(r'^panoptic_head\.proposal_head\.', 'rpn_head.', k)): v for k, v in ours.items()}
    assert not any(k.startswith('panoptic_head.') for k in official)
    official_file = tmp / 'knet_official.pth'
    torch.save({'state_dict': official, 'meta': {'mmdet_version': '2.17.0'}}, official_file)
    return SimpleNamespace(config=str(config), official=str(official_file), ours=ours)


def test_test_tool_and_converter_give_the_same_result_for_official_and_converted(knet_setup, repo_root,
                                                                                 tmp_path):
    test_tool = _tool(repo_root, 'tools/test.py')
    converter = _tool(repo_root, 'tools/model_converters/official_to_mmpanoptic.py')
    converted = str(tmp_path / 'converted.pth')
    assert converter.main([knet_setup.config, knet_setup.official, converted]) == len(knet_setup.ours)
    for key, value in torch.load(converted)['state_dict'].items():
        assert torch.equal(value, knet_setup.ours[key]), key
    official_metrics = test_tool.main([knet_setup.config, knet_setup.official, '--work-dir', str(tmp_path / 'a')])
    converted_metrics = test_tool.main([knet_setup.config, converted, '--work-dir', str(tmp_path / 'b')])
    assert 'coco_panoptic/PQ' in official_metrics
    assert official_metrics == converted_metrics


def test_init_model_loads_the_official_layout(knet_setup):
    image = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    model = init_model(knet_setup.config, knet_setup.official)
    for key, value in model.state_dict().items():
        if not key.startswith('data_preprocessor.'):
            assert torch.equal(value, knet_setup.ours[key]), key
    result = inference_model(model, image)
    assert result.pred_panoptic_seg.sem_seg.shape == (1, 64, 64)
    assert model.dataset_meta['classes'][0] == 'ellipse'


def test_load_from_goes_through_the_adapter_hook(knet_setup):
    model = MODELS.build(Config.fromfile(knet_setup.config).model)
    checkpoint = torch.load(knet_setup.official)
    runner = SimpleNamespace(model=model, cfg=Config.fromfile(knet_setup.config))
    CheckpointAdapterHook().after_load_checkpoint(runner, checkpoint)
    assert set(checkpoint['state_dict']) == set(knet_setup.ours)
    assert checkpoint['meta'] == {'mmdet_version': '2.17.0'}
    yoso = MODELS.build(Config.fromfile('configs/yoso/yoso_r18-tiny_synthetic-shapes.py').model)
    with pytest.raises(CheckpointMismatchError, match='holds K-Net weights .* but the model is YOSO'):
        CheckpointAdapterHook().after_load_checkpoint(SimpleNamespace(model=yoso, cfg=runner.cfg),
                                                      torch.load(knet_setup.official))


@pytest.mark.parametrize('case', ['html', 'other_family'])
def test_test_tool_names_the_bad_file_in_one_line(case, knet_setup, repo_root, tmp_path, capsys):
    if case == 'html':
        path = tmp_path / 'view.pth'
        path.write_text('<!DOCTYPE html><html><body>Google Drive - Sign in</body></html>')
        expected = r'^error: .*view\.pth: an HTML page, not a checkpoint \(.*\)$'
    else:
        path = tmp_path / 'yoso.pth'
        yoso = MODELS.build(Config.fromfile('configs/yoso/yoso_r18-tiny_synthetic-shapes.py').model)
        torch.save({'state_dict': yoso.state_dict()}, path)
        expected = (r'^error: .*yoso\.pth: the checkpoint holds YOSO weights \(mmpanoptic layout\) but the model '
                    r'is KNet \(use a YOSO config for this file, or a K-Net checkpoint')
    with pytest.raises(SystemExit) as exc:
        _tool(repo_root, 'tools/test.py').main([knet_setup.config, str(path), '--work-dir', str(tmp_path)])
    assert exc.value.code == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith('error: ')]
    assert len(errors) == 1 and re.search(expected, errors[0]), errors


# Our Panoptic SegFormer names -> the released files' names (mmdet 2.12 layout with the legacy mask-head names,
# tests/data/official_layouts/panoptic_segformer_r50_coco.json), restated from the official modules.
_PSF_TO_OFFICIAL = (
    (r'^level_embed$', 'bbox_head.transformer.level_embeds'),
    (r'^reference_points_fc\.', 'bbox_head.transformer.reference_points.'),
    (r'^query_embedding\.', 'bbox_head.query_embedding.'),
    (r'^encoder\.layers\.(\d+)\.self_attn\.', r'bbox_head.transformer.encoder.layers.\1.attentions.0.'),
    (r'^encoder\.layers\.(\d+)\.ffn\.', r'bbox_head.transformer.encoder.layers.\1.ffns.0.'),
    (r'^encoder\.layers\.(\d+)\.norms\.', r'bbox_head.transformer.encoder.layers.\1.norms.'),
    (r'^decoder\.layers\.(\d+)\.self_attn\.', r'bbox_head.transformer.decoder.layers.\1.attentions.0.'),
    (r'^decoder\.layers\.(\d+)\.cross_attn\.', r'bbox_head.transformer.decoder.layers.\1.attentions.1.'),
    (r'^decoder\.layers\.(\d+)\.(ffn|norms)\.', lambda m: f'bbox_head.transformer.decoder.layers.{m[1]}.'
     + ('ffns.0.' if m[2] == 'ffn' else 'norms.')),
    (r'^bbox_head\.things_mask_decoder\.', 'bbox_head.mask_head.'),
    (r'^bbox_head\.stuff_mask_decoder\.', 'bbox_head.mask_head2.'),
    (r'\.layers\.(\d+)\.cross_attn\.mask\.level_fcs\.(\d)\.0\.',
     lambda m: f'.blocks.{m[1]}.attn.linear_l{int(m[2]) + 1}.0.'),
    (r'\.layers\.(\d+)\.cross_attn\.mask\.fuse_fc\.0\.', r'.blocks.\1.attn.linear.0.'),
    (r'\.layers\.(\d+)\.cross_attn\.(q|k|v|proj)\.', r'.blocks.\1.attn.\2.'),
    (r'\.layers\.(\d+)\.cross_attn_norm\.', r'.blocks.\1.head_norm1.'),
    (r'\.layers\.(\d+)\.ffn_norm\.', r'.blocks.\1.head_norm2.'),
    (r'\.layers\.(\d+)\.ffn\.0\.', r'.blocks.\1.mlp.fc1.'),
    (r'\.layers\.(\d+)\.ffn\.2\.', r'.blocks.\1.mlp.fc2.'),
    (r'\.layers\.(\d+)\.self_attn\.in_proj_(weight|bias)$', r'.blocks.\1.self_attention.qkv.\2'),
    (r'\.layers\.(\d+)\.self_attn\.out_proj\.', r'.blocks.\1.self_attention.proj.'),
    (r'\.layers\.(\d+)\.self_attn_norm\.', r'.blocks.\1.norm3.'),
    (r'\.tail\.mask\.level_fcs\.(\d)\.0\.', lambda m: f'.attnen.linear_l{int(m[1]) + 1}.0.'),
    (r'\.tail\.mask\.fuse_fc\.0\.', '.attnen.linear.0.'),
    (r'\.tail\.(q|k)\.', r'.attnen.\1.'),
)


def _psf_official_name(key):
    for pattern, repl in _PSF_TO_OFFICIAL:
        key = re.sub(pattern, repl, key)
    return key


def test_official_panoptic_segformer_file_through_test_tool(tmp_path, tiny_config, repo_root):
    """A released-layout Panoptic SegFormer file (old mask-head names, the dead zero-weighted branches)
    gives, through ``tools/test.py``, the metrics of the same weights saved by mmpanoptic."""
    data_root = tmp_path / 'data'
    generate_image_dataset(str(data_root), seed=5, num_train=2, num_val=4, size=(64, 64))
    config = tiny_config(tmp_path, 'configs/panoptic_segformer/panoptic-segformer_r18-tiny_synthetic-shapes.py',
                         data_root)
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(config)).model)
    model.init_weights()
    ours = model.state_dict()
    official = {_psf_official_name(k): v for k, v in ours.items()}
    assert not any('_mask_decoder' in k or k.startswith(('encoder.', 'decoder.')) for k in official)
    official['bbox_head.cls_branches2.0.weight'] = torch.zeros(4, 64)  # dead branches of the release files
    official['bbox_head.reg_branches2.0.4.bias'] = torch.zeros(4)
    torch.save({'state_dict': official, 'meta': {'mmdet_version': '2.12.0'}}, tmp_path / 'psf_official.pth')
    torch.save({'state_dict': ours}, tmp_path / 'psf_ours.pth')
    test_tool = _tool(repo_root, 'tools/test.py')
    every_segment = ['--cfg-options', 'model.test_cfg.score_thr=0.0', 'model.test_cfg.stuff_score_thr=0.0']
    runs = {}
    for name in ('official', 'ours'):
        out = str(tmp_path / f'{name}_preds.pth')
        metrics = test_tool.main([str(config), str(tmp_path / f'psf_{name}.pth'), '--work-dir', str(tmp_path / name),
                                  '--out', out, *every_segment])
        runs[name] = metrics, load_predictions(out)
    assert 'coco_panoptic/PQ' in runs['official'][0] and runs['official'][0] == runs['ours'][0]
    (_, official_preds), (_, our_preds) = runs['official'], runs['ours']
    assert len(official_preds) == len(our_preds) == 4
    for a, b in zip(official_preds, our_preds):
        pan_a, pan_b = a['pred_panoptic_seg']['sem_seg'], b['pred_panoptic_seg']['sem_seg']
        assert torch.equal(pan_a, pan_b)
    assert any(bool((p['pred_panoptic_seg']['sem_seg'] != 7).any()) for p in our_preds), 'all void'


# The released RT-PanoNet layout (TRI-ML/realtime_panoptic: torchvision ResNet + FPN under ``backbone.``, the
# head's nn.Sequential towers of conv, GN, ReLU), restated from the official module tree for these tests.
def _rt_panonet_official_name(key):
    key = re.sub(r'^backbone\.(?!body\.)', 'backbone.body.', key)
    key = re.sub(r'^neck\.lateral_convs\.(\d)\.conv\.', r'backbone.fpn.inner_blocks.\1.', key)
    key = re.sub(r'^neck\.fpn_convs\.([0-2])\.conv\.', r'backbone.fpn.layer_blocks.\1.', key)
    key = re.sub(r'^neck\.fpn_convs\.3\.conv\.', 'backbone.fpn.extra_blocks.p6.', key)
    key = re.sub(r'^neck\.fpn_convs\.4\.conv\.', 'backbone.fpn.extra_blocks.p7.', key)
    tower = re.match(r'^panoptic_head\.(sem|loc)_tower\.(\d+)\.(conv|gn)\.(.*)$', key)
    if tower:
        index = 3 * int(tower[2]) + (0 if tower[3] == 'conv' else 1)
        return f'panoptic_head.{"cls" if tower[1] == "sem" else "bbox"}_tower.{index}.{tower[4]}'
    names = dict(semantic_conv='cls_logits', box_cls_conv='box_cls_logits', box_reg_conv='bbox_pred',
                 centerness_conv='centerness', levelness_conv='levelness')
    return re.sub(r'^panoptic_head\.(\w+_conv)\.', lambda m: f'panoptic_head.{names[m[1]]}.', key)


def test_official_rt_panonet_file_through_test_tool(tmp_path, tiny_config, repo_root):
    """A released-layout RT-PanoNet file (a plain state dict: no wrapper, stuff-first semantic rows, 1-element
    scales, no BN step counters) gives, through ``tools/test.py``, the predictions of the same weights saved
    by mmpanoptic."""
    data_root = tmp_path / 'data'
    generate_image_dataset(str(data_root), seed=5, num_train=2, num_val=4, size=(64, 64))
    config = tiny_config(tmp_path, 'configs/rt_panonet/rt-panonet_r18-tiny_fpn_synthetic-shapes.py', data_root)
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(config)).model)
    model.init_weights()
    ours = model.state_dict()
    things = model.num_things_classes
    official = {}
    for key, value in ours.items():
        if key.endswith('num_batches_tracked'):
            continue
        if key.startswith('panoptic_head.semantic_conv.'):  # official rows: stuff first
            value = torch.cat([value[things:], value[:things]])
        if key.startswith('panoptic_head.scales.'):
            value = value.reshape(1)
        official[_rt_panonet_official_name(key)] = value
    assert not any(k.startswith(('neck.', 'panoptic_head.sem_tower', 'panoptic_head.loc_tower')) for k in official)
    torch.save(official, tmp_path / 'rt_official.pth')
    torch.save({'state_dict': ours}, tmp_path / 'rt_ours.pth')
    test_tool = _tool(repo_root, 'tools/test.py')
    runs = {}
    for name in ('official', 'ours'):
        out = str(tmp_path / f'{name}_preds.pth')
        metrics = test_tool.main([str(config), str(tmp_path / f'rt_{name}.pth'), '--work-dir', str(tmp_path / name),
                                  '--out', out, '--cfg-options', 'model.test_cfg.instance_score_thr=0.0',
                                  'model.test_cfg.score_thr=0.0', 'model.test_cfg.mask_thr=-2.0'])
        runs[name] = metrics, load_predictions(out)
    assert 'coco_panoptic/PQ' in runs['official'][0] and runs['official'][0] == runs['ours'][0]
    (_, official_preds), (_, our_preds) = runs['official'], runs['ours']
    assert len(official_preds) == len(our_preds) == 4
    for a, b in zip(official_preds, our_preds):
        assert torch.equal(a['pred_panoptic_seg']['sem_seg'], b['pred_panoptic_seg']['sem_seg'])
    assert any(bool((p['pred_panoptic_seg']['sem_seg'] >= INSTANCE_OFFSET).any()) for p in our_preds), 'no thing'
