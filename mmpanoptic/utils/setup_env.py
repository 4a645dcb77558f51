"""Module registration and default scope."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmpanoptic module so that it is in the registries.

    mmdet's modules are registered too (they are found from the mmpanoptic scope through the parent
    registries). mmseg's are imported lazily by the fallback lookup in :mod:`mmpanoptic.registry`.

    Args:
        init_default_scope (bool): make ``mmpanoptic`` the current default scope. If another scope is
            current, a new instance named ``mmpanoptic-<timestamp>`` is created so that the other
            scope's instance is left alone. Defaults to True.
    """
    import mmdet.utils
    mmdet.utils.register_all_modules(init_default_scope=False)

    import mmpanoptic.datasets  # noqa: F401,F811
    import mmpanoptic.engine  # noqa: F401,F811
    import mmpanoptic.evaluation  # noqa: F401,F811
    import mmpanoptic.models  # noqa: F401,F811
    import mmpanoptic.visualization  # noqa: F401,F811

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created('mmpanoptic'):
        DefaultScope.get_instance('mmpanoptic', scope_name='mmpanoptic')
        return
    if current.scope_name != 'mmpanoptic':
        warnings.warn(f'The current default scope "{current.scope_name}" is not "mmpanoptic"; '
                      '`register_all_modules` makes a new default scope instance "mmpanoptic".')
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S-%f')
        DefaultScope.get_instance(f'mmpanoptic-{stamp}', scope_name='mmpanoptic')
