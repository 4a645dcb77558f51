"""Loading weights for evaluation: every key must match."""
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint, _load_checkpoint_to_model


class CheckpointMismatchError(RuntimeError):
    """The checkpoint's weights do not fit the model built from the config."""


def _state_dict(checkpoint: dict) -> dict:
    for key in ('state_dict', 'model'):
        if isinstance(checkpoint.get(key), dict):
            return checkpoint[key]
    return checkpoint


def load_checkpoint_strict(runner: Runner, filename: str) -> dict:
    """Load ``filename`` into ``runner.model``, failing with every missing/unexpected/mismatched key.

    Keys of the data preprocessor (mean/std buffers) are not required. After this the runner does not
    load ``load_from`` again.

    Raises:
        CheckpointMismatchError: naming the file and listing the keys.
    """
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    checkpoint = _load_checkpoint(filename, map_location='cpu')
    state = _state_dict(checkpoint)
    own = model.state_dict()
    missing = sorted(k for k in own if k not in state and not k.startswith('data_preprocessor.'))
    unexpected = sorted(k for k in state if k not in own)
    mismatched = sorted(f'{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(own[k].shape)}'
                        for k in own if k in state and hasattr(state[k], 'shape')
                        and tuple(state[k].shape) != tuple(own[k].shape))
    if missing or unexpected or mismatched:
        parts = [f'{title} ({len(keys)}): ' + ', '.join(keys[:20]) + (' ...' if len(keys) > 20 else '')
                 for title, keys in (('missing keys', missing), ('unexpected keys', unexpected),
                                     ('shape mismatch', mismatched)) if keys]
        raise CheckpointMismatchError(
            f'{filename} does not fit the model of this config: ' + '; '.join(parts) +
            '. Is it a checkpoint of another model family or config? Official checkpoints may need '
            'tools/model_converters/ first.')
    _load_checkpoint_to_model(model, checkpoint, strict=False)
    runner._has_loaded = True
    return checkpoint
