"""Hand-worked PQ / VPQ / STQ examples (shared/specs/metrics.md section 5) and edge cases."""
import numpy as np
import pytest

from mmpanoptic.evaluation.functional import (STQAccumulator, compact_ids, match_segments, parallel_imap,
                                              segment_histogram, step_ids, step_lookup, summarize_vpq, table_lookup,
                                              vpq_stats)

ROAD, SKY, CAR = 0, 1, 2
VOID = 255


def row(spans, width):
    """A (1, width) id map from ``[((first, last), id), ...]`` (inclusive columns, 0 elsewhere)."""
    ids = np.zeros(width, np.int64)
    for (first, last), value in spans:
        ids[first:last + 1] = value
    return ids[None]


def step(labels, instances):
    """A (1, W) STEP id map from per-pixel classes (255 = void) and instance ids."""
    rgb = np.stack([np.array(labels), np.array(instances) >> 8, np.array(instances) & 255], -1)[None]
    return step_ids(rgb.astype(np.uint8))


def labels_of(mapping):
    return lambda ids: (np.array([mapping[i] for i in ids.tolist()], np.int64), np.zeros(len(ids), bool))


def test_pq1_void_crowd_iou_half_and_absent_class():
    # classes: road (stuff), car, person (things), sky (stuff, never present)
    gt = row([((0, 9), 1), ((10, 13), 2), ((14, 17), 3), ((22, 27), 4), ((28, 31), 5)], 32)
    pred = row([((0, 8), 11), ((9, 13), 12), ((18, 18), 12), ((14, 15), 13), ((19, 22), 14), ((23, 27), 15),
                ((28, 31), 16)], 32)
    gt_table = {1: (0, False), 2: (1, False), 3: (1, False), 4: (2, True), 5: (2, False)}
    pred_table = {11: (0, False), 12: (1, False), 13: (1, False), 14: (2, False), 15: (2, False), 16: (1, False)}
    hist = segment_histogram(gt, pred, table_lookup(gt_table, 'gt'), table_lookup(pred_table, 'pred'))
    stats = match_segments(hist, 4)
    np.testing.assert_array_equal(stats.tp, [1, 1, 0, 0])
    np.testing.assert_array_equal(stats.fp, [0, 2, 0, 0])
    np.testing.assert_array_equal(stats.fn, [0, 1, 1, 0])
    np.testing.assert_allclose(stats.iou, [0.9, 0.8, 0, 0])
    summary = stats.summary(np.array([False, True, True, False]))
    expected = {'All': (0.406667, 0.566667, 0.466667, 3), 'Things': (0.16, 0.4, 0.2, 2), 'Stuff': (0.9, 0.9, 1.0, 1)}
    for name, (pq, sq, rq, n) in expected.items():
        assert summary[name]['pq'] == pytest.approx(pq, abs=1e-6)
        assert summary[name]['sq'] == pytest.approx(sq, abs=1e-6)
        assert summary[name]['rq'] == pytest.approx(rq, abs=1e-6)
        assert summary[name]['n'] == n


def vpq1_frames():
    """4 frames x 10 px: road 0-5, car track 6-8, void 9; the prediction switches the car id at frame 3."""
    frames = []
    for t in range(4):
        gt = row([((0, 5), 1), ((6, 8), 3)], 10)
        pred = row([((0, 5), 11), ((9, 9), 11), ((6, 8), 21 if t < 2 else 22)], 10)
        frames.append(segment_histogram(gt, pred, table_lookup({1: (ROAD, False), 3: (CAR, False)}, 'gt'),
                                        labels_of({11: ROAD, 21: CAR, 22: CAR})))
    return frames


@pytest.mark.parametrize('class_mean, per_window, final', [
    ('present', [1.0, 0.785714, 0.722222, 0.5], 0.751984),
    ('all', [0.666667, 0.523810, 0.481481, 0.333333], 0.501323),
])
def test_vpq1_tubes_id_switch_and_class_means(class_mean, per_window, final):
    stats, num_windows = vpq_stats([vpq1_frames()], [1, 2, 3, 4], 3, crowd_rule=True)
    assert num_windows == {1: 4, 2: 3, 3: 2, 4: 1}
    np.testing.assert_array_equal([stats[k].tp[CAR] for k in (1, 2, 3, 4)], [4, 2, 2, 0])
    np.testing.assert_array_equal([stats[k].fp[CAR] for k in (1, 2, 3, 4)], [0, 2, 2, 2])
    np.testing.assert_array_equal([stats[k].fn[CAR] for k in (1, 2, 3, 4)], [0, 1, 0, 1])
    assert stats[4].iou[ROAD] == pytest.approx(1.0)  # void pixel taken out of the union
    result = summarize_vpq(stats, num_windows, np.array([False, False, True]), class_mean)
    np.testing.assert_allclose([result['per_window'][k]['All']['pq'] for k in (1, 2, 3, 4)], per_window, atol=1e-6)
    assert result['VPQ'] == pytest.approx(final, abs=1e-6)


@pytest.mark.parametrize('crowd_rule, pq', [(True, 0.833333), (False, 0.666667)])
def test_vpq2_crowd_conventions(crowd_rule, pq):
    # road 0-3, car without instance 4-5 (crowd), car instance 1 on 6-7 (STEP encoding, classes road/car)
    gt = step([0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 1, 1])
    pred = step([0, 0, 0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 0, 1, 1])
    hist = segment_histogram(gt, pred, step_lookup(2, [1], 'gt'), step_lookup(2, [1], 'pred', crowd=False))
    stats, num_windows = vpq_stats([[hist]], [1], 2, crowd_rule)
    result = summarize_vpq(stats, num_windows, np.array([False, True]))
    assert result['VPQ'] == pytest.approx(pq, abs=1e-6)


def stq1_sequences():
    road, car = 0, 1
    lookup_gt, lookup_pred = step_lookup(2, [1], 'gt'), step_lookup(2, [1], 'pred', crowd=False)
    seq_a = [
        segment_histogram(step([road, road, car, car], [0, 0, 1, 1]), step([road, road, car, car], [0, 0, 5, 5]),
                          lookup_gt, lookup_pred),
        segment_histogram(step([road, road, car, car], [0, 0, 1, 1]), step([road, road, car, car], [0, 0, 6, 6]),
                          lookup_gt, lookup_pred),
    ]
    seq_b = [
        segment_histogram(step([road, car, car, VOID], [0, 2, 2, 0]), step([car] * 4, [7] * 4), lookup_gt,
                          lookup_pred),
        segment_histogram(step([road, car, car, car], [0, 2, 2, 0]), step([road, car, car, car], [0, 7, 7, 7]),
                          lookup_gt, lookup_pred),
    ]
    return seq_a, seq_b


def test_stq1_two_sequences_void_and_crowd():
    seq_a, seq_b = stq1_sequences()
    accumulator = STQAccumulator(2, [1])
    accumulator.add_sequence('A', seq_a)
    accumulator.add_sequence('B', seq_b)
    result = accumulator.result()
    assert result['AQ'] == pytest.approx(0.583333, abs=1e-6)
    assert result['SQ'] == pytest.approx(0.866667, abs=1e-6)
    assert result['STQ'] == pytest.approx(0.711024, abs=1e-6)
    assert result['per_sequence']['A']['STQ'] == pytest.approx(0.707107, abs=1e-6)
    assert result['per_sequence']['B']['AQ'] == pytest.approx(0.666667, abs=1e-6)
    assert result['per_sequence']['B']['SQ'] == pytest.approx(0.666667, abs=1e-6)
    with pytest.raises(ValueError, match="sequence 'A' was already added"):
        accumulator.add_sequence('A', seq_a)


def test_stq1_drop_void_variant_shrinks_predicted_track():
    _, seq_b = stq1_sequences()
    accumulator = STQAccumulator(2, [1], drop_void_predictions=True)
    accumulator.add_sequence('B', seq_b)
    # predicted tube 7 loses the void pixel: 5 px, IoU 4/5, AQ = 4 * 0.8 / 4
    assert accumulator.result()['AQ'] == pytest.approx(0.8, abs=1e-6)


def test_stq2_stuff_only_sequence_has_no_tracks():
    lookup_gt, lookup_pred = step_lookup(2, [1], 'gt'), step_lookup(2, [1], 'pred', crowd=False)
    frame = segment_histogram(step([0, 0, 0, 0], [0] * 4), step([0, 0, 0, 0], [0] * 4), lookup_gt, lookup_pred)
    accumulator = STQAccumulator(2, [1])
    accumulator.add_sequence('stuff', [frame])
    result = accumulator.result()
    assert (result['SQ'], result['AQ'], result['STQ'], result['num_tracks']) == (1.0, 0.0, 0.0, 0)


def test_stq3_predicted_void_column():
    lookup_gt, lookup_pred = step_lookup(2, [1], 'gt'), step_lookup(2, [1], 'pred', crowd=False)
    frame = segment_histogram(step([1] * 4, [1] * 4), step([1, 1, 1, VOID], [1, 1, 1, 0]), lookup_gt, lookup_pred)
    accumulator = STQAccumulator(2, [1])
    accumulator.add_sequence('s', [frame])
    result = accumulator.result()
    assert result['AQ'] == pytest.approx(0.5625)
    assert result['SQ'] == pytest.approx(0.375)
    assert result['STQ'] == pytest.approx(0.459279, abs=1e-6)


def test_stq_void_on_both_sides():
    # GT: car#1 x2, void x2; prediction: car#3 on pixel 0, void on pixel 1, car#3 on both GT-void pixels
    lookup_gt, lookup_pred = step_lookup(2, [1], 'gt'), step_lookup(2, [1], 'pred', crowd=False)
    frame = segment_histogram(step([1, 1, VOID, VOID], [1, 1, 0, 0]), step([1, VOID, 1, 1], [3, 0, 3, 3]),
                              lookup_gt, lookup_pred)
    accumulator = STQAccumulator(2, [1])
    accumulator.add_sequence('s', [frame])
    result = accumulator.result()
    # |g| = 2, |p| = 3 (GT-void pixels kept), I = 1: AQ = 1 * (1 / 4) / 2
    assert result['AQ'] == pytest.approx(0.125)
    # confusion without GT-void rows: car->car 1, car->void 1: IoU car 1/2, void column 0 -> 0.25
    assert result['SQ'] == pytest.approx(0.25)


def test_window_longer_than_sequence_is_reported_not_crashing():
    frames = vpq1_frames()[:2]
    stats, num_windows = vpq_stats([frames], [1, 3], 3)
    assert num_windows == {1: 2, 3: 0}
    with pytest.warns(UserWarning, match='no sequence has 3 annotated frames'):
        result = summarize_vpq(stats, num_windows, np.array([False, False, True]))
    assert result['per_window'][3]['All'] == dict(pq=0.0, sq=0.0, rq=0.0, n=0)
    assert result['per_window'][3]['num_windows'] == 0
    assert result['VPQ'] == pytest.approx(0.5)  # (1.0 + 0.0) / 2


def test_class_without_segments_gives_zero_with_warning():
    gt = row([((0, 3), 1)], 4)
    hist = segment_histogram(gt, gt, table_lookup({1: (0, False)}, 'gt'), table_lookup({1: (0, False)}, 'pred'))
    stats = match_segments(hist, 2)
    with pytest.warns(UserWarning, match='Things: no class to average'):
        summary = stats.summary(np.array([False, True]))
    assert summary['Things'] == dict(pq=0.0, sq=0.0, rq=0.0, n=0)
    assert summary['All']['pq'] == 1.0 and summary['All']['n'] == 1


def test_unmatched_prediction_on_void_is_ignored_and_elsewhere_is_fp():
    gt = row([((0, 5), 1)], 10)  # pixels 6-9 void
    pred = row([((0, 5), 1), ((6, 9), 2)], 10)
    stats = match_segments(
        segment_histogram(gt, pred, table_lookup({1: (0, False)}, 'gt'), labels_of({1: 0, 2: 1})), 2)
    assert stats.fp.sum() == 0
    gt = row([((0, 5), 1), ((6, 9), 3)], 10)
    stats = match_segments(
        segment_histogram(gt, pred, table_lookup({1: (0, False), 3: (0, False)}, 'gt'), labels_of({1: 0, 2: 1})), 2)
    np.testing.assert_array_equal(stats.fp, [0, 1])
    np.testing.assert_array_equal(stats.fn, [1, 0])


def test_compact_ids_both_paths():
    small = np.array([5, 3, 5, 9])
    unique, index = compact_ids(small)
    np.testing.assert_array_equal(unique[index], small)
    large = np.array([2**40, 7, 2**40, 123456789])
    unique, index = compact_ids(large)
    np.testing.assert_array_equal(unique, [7, 123456789, 2**40])
    np.testing.assert_array_equal(unique[index], large)


def test_bad_inputs_raise_clear_errors():
    gt = row([((0, 3), 1)], 4)
    lookup = table_lookup({1: (0, False)}, 'gt.png')
    with pytest.raises(ValueError, match='frame: the prediction has size'):
        segment_histogram(gt, np.zeros((1, 5), np.int64), lookup, lookup)
    with pytest.raises(ValueError, match=r'gt.png: segment id\(s\) \[2\] are in the PNG but not in the JSON'):
        segment_histogram(row([((0, 3), 2)], 4), gt, lookup, lookup)
    with pytest.raises(ValueError, match=r'gt.png: segment id\(s\) \[7\] are listed in the JSON'):
        table_lookup({1: (0, False), 7: (0, False)}, 'gt.png')(np.array([1]))
    with pytest.raises(ValueError, match=r's.png: unknown class value\(s\) \[20\]'):
        segment_histogram(step([20], [0]), step([0], [0]), step_lookup(19, [11, 13], 's.png'),
                          step_lookup(19, [11, 13], 'p.png'))


def test_step_lookup_maps_dataset_category_ids_to_labels():
    """KITTI-STEP datasets order labels things first (person 0, car 1, road 2, ...) while the PNG's R
    channel holds trainIds: the lookup maps R through the dataset's category_ids."""
    category_ids = (11, 13, 0, 1)  # person, car, road, sidewalk
    lookup = step_lookup(4, [0, 1], 'm.png', category_ids=category_ids)
    labels, crowd = lookup(step([0, 13, 11, 255, 13], [0, 5, 0, 0, 0])[0])
    np.testing.assert_array_equal(labels, [2, 1, 0, -1, 1])
    np.testing.assert_array_equal(crowd, [False, False, True, False, True])
    with pytest.raises(ValueError, match=r'm.png: unknown class value\(s\) \[2\].*\[0, 1, 11, 13\] or 255'):
        lookup(step([2], [0])[0])
    with pytest.raises(ValueError, match='STEP category ids must be 4 values'):
        step_lookup(4, [0], 'm.png', category_ids=(11, 13))


@pytest.mark.parametrize('nproc', [1, 2])
def test_parallel_imap_yields_in_task_order(nproc, monkeypatch):
    monkeypatch.setattr('mmpanoptic.evaluation.functional.parallel.os.cpu_count', lambda: 4)
    results = parallel_imap(pow, [(i, 2) for i in range(20)], nproc)
    assert next(results) == 0  # lazily, one result at a time (what the progress bar counts)
    assert list(results) == [i * i for i in range(1, 20)]
