"""Registry resolution in the mmpanoptic scope: mmpanoptic, mmdet, mmengine and mmseg types."""
import pytest
from mmengine.registry import DefaultScope
from mmengine.registry import MODELS as ENGINE_MODELS

from mmpanoptic.registry import DATASETS, METRICS, MODELS, TRANSFORMS, VISUALIZERS
from mmpanoptic.utils import register_all_modules


@pytest.fixture(autouse=True, scope='module')
def _scope():
    register_all_modules()


def test_parents_are_mmdet_registries():
    import mmdet.registry as mmdet_registry
    assert MODELS.parent is mmdet_registry.MODELS
    assert DATASETS.parent is mmdet_registry.DATASETS
    assert MODELS.scope == 'mmpanoptic'
    assert DefaultScope.get_current_instance().scope_name == 'mmpanoptic'


def test_mmdet_types_resolve_unprefixed_and_prefixed():
    from mmdet.models import Mask2Former, ResNet
    assert MODELS.get('Mask2Former') is Mask2Former
    assert MODELS.get('mmdet.Mask2Former') is Mask2Former
    assert MODELS.get('ResNet') is ResNet, 'names in mmdet and mmseg resolve to mmdet first'
    from mmdet.datasets import CocoPanopticDataset
    from mmdet.datasets.transforms import PackDetInputs
    assert issubclass(DATASETS.get('CocoPanopticDataset'), CocoPanopticDataset), \
        'mmpanoptic overrides the name with a subclass (explicit category-id map); mmdet. prefix gets the original'
    assert DATASETS.get('mmdet.CocoPanopticDataset') is CocoPanopticDataset
    assert TRANSFORMS.get('PackDetInputs') is PackDetInputs


def test_mmseg_types_resolve_unprefixed_and_prefixed():
    from mmseg.models import FPN as SegFPN
    from mmseg.models.backbones import ResNetV1c
    assert MODELS.get('ResNetV1c') is ResNetV1c
    assert MODELS.get('mmseg.ResNetV1c') is ResNetV1c
    assert MODELS.get('mmseg.FPN') is SegFPN
    from mmseg.datasets.transforms import PackSegInputs
    assert TRANSFORMS.get('PackSegInputs') is PackSegInputs


def test_mmpanoptic_types_resolve():
    from mmpanoptic.visualization import PanopticLocalVisualizer
    assert VISUALIZERS.get('PanopticLocalVisualizer') is PanopticLocalVisualizer
    assert VISUALIZERS.get('mmpanoptic.PanopticLocalVisualizer') is PanopticLocalVisualizer


def test_unknown_names_are_none_and_build_errors_name_the_registry():
    assert MODELS.get('NoSuchModel') is None
    assert MODELS.get('mmseg.NoSuchModel') is None
    with pytest.raises(KeyError, match='NoSuchModel is not in the mmpanoptic::model registry'):
        ENGINE_MODELS.build(dict(type='NoSuchModel'))


def test_root_registry_builds_through_default_scope():
    backbone = ENGINE_MODELS.build(dict(type='ResNetV1c', depth=18))
    assert type(backbone).__module__.startswith('mmseg.')
    assert METRICS.get('CocoPanopticMetric') is not None
