"""Drawing of test predictions for ``tools/test.py --show-dir``: one PNG per image."""
import os.path as osp
from typing import Sequence

import mmcv
from mmdet.engine.hooks import DetVisualizationHook
from mmengine.fileio import get
from mmengine.utils import mkdir_or_exist

from mmpanoptic.registry import HOOKS


@HOOKS.register_module()
class PanopticVisualizationHook(DetVisualizationHook):
    """mmdet's :class:`DetVisualizationHook` for panoptic test outputs.

    Each test image is drawn by the visualizer (``image | ground truth | prediction``, small images
    enlarged; see :class:`~mmpanoptic.visualization.PanopticLocalVisualizer`) and saved as
    ``<test_out_dir>/<image stem>.png`` (lossless; mmdet writes a JPEG under the image's own name). A
    relative ``test_out_dir`` is inside ``<work_dir>/<timestamp>``, resolved once per run.

    Arguments: as :class:`DetVisualizationHook`.
    """

    def before_test(self, runner) -> None:
        if self.draw and self.test_out_dir is not None:
            self.test_out_dir = osp.join(runner.work_dir, runner.timestamp, self.test_out_dir)
            mkdir_or_exist(self.test_out_dir)

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict, outputs: Sequence) -> None:
        if not self.draw:
            return
        for data_sample in outputs:
            self._test_index += 1
            img_path = data_sample.img_path
            img = mmcv.imfrombytes(get(img_path, backend_args=self.backend_args), channel_order='rgb')
            out_file = None
            if self.test_out_dir is not None:
                out_file = osp.join(self.test_out_dir, osp.splitext(osp.basename(img_path))[0] + '.png')
            self._visualizer.add_datasample(
                osp.basename(img_path) if self.show else 'test_img', img, data_sample=data_sample, show=self.show,
                wait_time=self.wait_time, out_file=out_file, step=self._test_index)
