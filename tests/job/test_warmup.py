"""The warm-up rule (cmn_vfx.job.warmup), shared by the engine and `cmn-farm plan`."""
from cmn_vfx.job.warmup import shot_start, warmup_frames


def test_warmup_clipped_at_shot_start_cut_and_hole():
    assert warmup_frames(1009, 8, 1001) == tuple(range(1001, 1009))
    assert warmup_frames(1005, 8, 1001) == (1001, 1002, 1003, 1004)
    assert warmup_frames(1009, 8, 1001, [1006]) == (1006, 1007, 1008)
    assert warmup_frames(1009, 8, 1001, [], holes=[1004]) == (1005, 1006, 1007, 1008)
    assert warmup_frames(1001, 8, 1001) == ()
    assert warmup_frames(1006, 8, 1001, [1006]) == ()           # a cut at the first frame: a fresh start
    assert warmup_frames(1020, 3, 1001, [990, 1030], holes=[1002]) == (1017, 1018, 1019)


def test_shot_start_ignores_cuts_after_the_frame_and_before_the_plate():
    assert shot_start(1010, [995, 1005, 1012], 1001) == 1005
    assert shot_start(1004, [995, 1005], 1001) == 1001
