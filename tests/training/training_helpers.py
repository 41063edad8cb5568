"""Tiny training set-ups shared by the loop and resume tests (32x32, T=2, tiny models)."""

TINY_MODEL = {"variant": "full", "encoder": "mobilenetv2", "flow": "dis", "width": 8, "context": 16}
TINY_PWC_MODEL = dict(TINY_MODEL, flow="pwcnet", pwc_width=0.25)
NO_AUGMENT = {"crop": 0, "flip": 0.0, "jitter": 0.0, "gamma": 0.0, "jpeg": 0.0, "h264": 0.0}


def tiny_data(length=1, fixed=True, augment=None, seed=0):
    """One procedural clip (fixed) or a few random ones, 32x32, 2 frames."""
    return {"seq_length": 2, "size": [32, 32], "length": length, "fixed": fixed, "flow": False,
            "cache_dir": None, "seed": seed,
            "foregrounds": [{"type": "procedural", "weight": 1.0}],
            "backgrounds": [{"type": "procedural", "weight": 1.0}],
            "augment": dict(NO_AUGMENT, **(augment or {}))}
