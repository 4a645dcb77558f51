"""track_colour and draw_panoptic_gt: deterministic track colours, exact blending, untouched VOID."""
import numpy as np

from mmpanoptic.visualization import draw_panoptic_gt, track_colour


def test_track_colour_is_a_function_of_the_id():
    assert track_colour(14001) == track_colour(14001)
    colours = [track_colour(i) for i in range(1, 21)]
    assert len(set(colours)) == 20 and all(0 <= c <= 255 for colour in colours for c in colour)
    assert all(np.abs(np.subtract(a, b)).max() > 40 for a, b in zip(colours, colours[1:]))


def test_draw_panoptic_gt():
    image = np.full((20, 30, 3), 100, np.uint8)
    sem_seg = np.zeros((20, 30), np.int64)
    sem_seg[:, 20:] = 255
    masks = np.zeros((1, 20, 30), bool)
    masks[0, 5:15, 5:15] = True
    sem_seg[masks[0]] = 1
    drawing = draw_panoptic_gt(image, sem_seg, masks, [1], [7], ['sky', 'car'], [(200, 0, 0), (0, 200, 0)],
                               captions=False)
    assert (drawing[:, 20:] == 100).all()  # VOID untouched
    assert drawing[1, 1].tolist() == [150, 50, 50]  # stuff: class colour at alpha 0.5
    expected = np.round(0.5 * 100 + 0.5 * np.array(track_colour(7))).tolist()
    assert drawing[10, 10].tolist() == expected  # thing interior: track colour, not the class colour
    assert drawing[5, 10].tolist() == [255, 255, 255]  # outline
