"""Count FLOPs and parameters: ``python tools/analysis_tools/get_flops.py CONFIG [--shape H W]``.

The input is a random image of the given size passed through the model's data preprocessor, so no
dataset is needed. Counts come from mmengine's ``get_model_complexity_info`` (fvcore-style counting of
the tensor-mode forward; post-processing is not included).
"""
import argparse

from mmpanoptic.cli import load_config, main_with_clear_errors


def tensor_forward(model, data_samples: list):
    """``model(inputs, data_samples, mode='tensor')`` as a module of the image batch alone.

    The counter traces the forward with tensors only, so the data samples are bound here.

    Args:
        model (torch.nn.Module): the segmentor.
        data_samples (list): the preprocessed data samples of the batch.

    Returns:
        torch.nn.Module: its ``forward(inputs)`` takes the (N, 3, H, W) image batch.
    """
    import torch

    class TensorForward(torch.nn.Module):

        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, inputs: torch.Tensor):
            return self.model(inputs, data_samples, mode='tensor')

    return TensorForward()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Count the FLOPs of a model')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--shape', type=int, nargs=2, default=[1024, 2048], metavar=('H', 'W'),
                        help='input image size')
    return parser.parse_args(argv)


@main_with_clear_errors
def main(argv=None):
    args = parse_args(argv)
    import torch
    from mmengine.analysis import get_model_complexity_info
    from mmengine.registry import MODELS

    from mmpanoptic.utils import register_all_modules
    from mmpanoptic.utils.dummy_inputs import dummy_data
    register_all_modules()
    cfg = load_config(args.config)
    model = MODELS.build(cfg.model).eval()
    data = model.data_preprocessor(dummy_data(tuple(args.shape)), False)
    inputs, samples = data['inputs'], data['data_samples']
    with torch.no_grad():
        info = get_model_complexity_info(tensor_forward(model, samples), inputs=(inputs, ), show_table=False,
                                         show_arch=False)
    print(f'Config: {args.config}\nInput shape: {tuple(inputs.shape[-2:])}\n'
          f'FLOPs: {info["flops_str"]}\nParams: {info["params_str"]}')
    return info


if __name__ == '__main__':
    main()
