"""What the bench measures on a clip with truth (bench/validation_clips.Rendered), per method:

- mad x1e3 and dtssd x1e2: whole frame (cmn_vfx.metrics, docs/training.md);
- found: % of (frame, person) pairs where the person's IoU at 0.5 is > 0.5, each person scored inside the
  pixels nearer to it than to any other person (persons under MIN_PERSON of the frame not counted);
  all_found: % of frames where every person is found;
- fp_max / fp_mean: % of the frame with alpha > 0.5 outside the truth's people (worst frame / mean);
- passers: % of background people's pixels (composited passers-by, vtest.avi's walkers) with alpha > 0.5;
- flk x1e3 (FlkAll): mean over all pixels of |alpha_t - alpha_{t-1} warped by DIS flow (MEDIUM) of the
  plate| (the truth's own is the flow error floor);
- fg_colour, fg_premult x1e3 (fg_scores): the written fg's colour where alpha is fractional, and the
  premultiplied fg over the whole frame, against the composited truth.
"""
from __future__ import annotations

import cv2
import numpy as np

MIN_PERSON = 0.005


def backward_flows(frames: list[np.ndarray]) -> list[np.ndarray | None]:
    """DIS (MEDIUM) flow from each frame ([H,W,3] sRGB 0..1) to the previous one, [H,W,2] (None for the first)."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    grey = [cv2.cvtColor((f * 255).astype(np.uint8), cv2.COLOR_RGB2GRAY) for f in frames]
    return [None] + [dis.calc(grey[t], grey[t - 1], None) for t in range(1, len(frames))]


def flicker(alphas: list[np.ndarray], flows: list) -> float:
    """FlkAll x1e3: mean |a_t - warp(a_{t-1})| over frames 1..T-1 (alphas [H,W] 0..1, flows backward_flows)."""
    h, w = alphas[0].shape
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    vals = []
    for t in range(1, len(alphas)):
        f = flows[t]
        prev = cv2.remap(alphas[t - 1].astype(np.float32), gx + f[..., 0], gy + f[..., 1], cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE)
        vals.append(float(np.abs(alphas[t] - prev).mean()))
    return float(np.mean(vals) * 1e3) if vals else 0.0


def cells(people: np.ndarray) -> np.ndarray:
    """[H,W] index of the nearest person (distance to its alpha > 0.5) for each pixel; people [P,H,W]."""
    if len(people) == 1:
        return np.zeros(people.shape[1:], np.int32)
    dist = [cv2.distanceTransform((p <= 0.5).astype(np.uint8), cv2.DIST_L2, 3) for p in people]
    return np.argmin(np.stack(dist), 0).astype(np.int32)


def score_clip(preds: list[np.ndarray], clip, flows: list) -> dict:
    """The module docstring's scores of alphas `preds` ([H,W] 0..1 per frame) on a rendered clip."""
    from cmn_vfx.metrics import MetricAccumulator
    acc = MetricAccumulator(metrics=("mad", "dtssd"))
    found, frames_all, fp, passers = [], [], [], []
    for pred, people, passer, truth in zip(preds, clip.people, clip.passers, clip.truth):
        acc.update(pred, truth)
        p = pred > 0.5
        cell = cells(people)
        ok = []
        for i, person in enumerate(people):
            t = person > 0.5
            if t.mean() < MIN_PERSON:
                continue
            inside = cell == i
            inter, union = (p & t & inside).sum(), ((p | t) & inside).sum()
            ok.append(union > 0 and inter / union > 0.5)
        found += ok
        frames_all.append(all(ok))
        fp.append(float((p & (truth <= 0.5)).mean() * 100))
        if (passer > 0.5).any():
            passers.append(float((p & (passer > 0.5)).sum() / (passer > 0.5).sum() * 100))
    res = acc.result()
    return {"mad": res["mad"], "dtssd": res["dtssd"], "found": 100.0 * np.mean(found) if found else 100.0,
            "all_found": 100.0 * np.mean(frames_all), "fp_max": max(fp), "fp_mean": float(np.mean(fp)),
            "passers": float(np.mean(passers)) if passers else None, "flk": flicker(preds, flows)}


def fg_scores(fgs: list[np.ndarray], alphas: list[np.ndarray], clip) -> dict:
    """fg_colour: mean |F - F_true| x1e3 (sRGB 0..1, F = the written fg / its alpha) where both the truth and
    the written alpha are fractional (0.02..0.98 and 0..1); fg_premult: mean |fg - fg_true| x1e3 (scene-linear
    premultiplied RGB) over the whole frame. fgs: [H,W,>=3] written fg; clip.fg: sRGB premultiplied truth."""
    from cmn_vfx.color import from_network, to_network     # the plates' own conversion (plates.write_plate)
    colours, premults = [], []
    for fg_out, alpha_out, fg_true, alpha_true in zip(fgs, alphas, clip.fg, clip.truth):
        fg_out, a_t = fg_out[..., :3], alpha_true[..., None]
        colour_true = np.where(a_t > 0, fg_true / np.maximum(a_t, 1e-6), 0.0)
        premult_true = from_network(np.clip(colour_true, 0, 1).astype(np.float32), "lin_rec709") * a_t
        band = (alpha_true > 0.02) & (alpha_true < 0.98) & (alpha_out > 0) & (alpha_out < 1)
        if band.any():
            colour = to_network((fg_out[band] / alpha_out[band][:, None])[:, None, :], "lin_rec709")[:, 0, :]
            colours.append(float(np.abs(colour - np.clip(colour_true[band], 0, 1)).mean() * 1e3))
        premults.append(float(np.abs(fg_out - premult_true).mean() * 1e3))
    return {"fg_colour": float(np.mean(colours)) if colours else None, "fg_premult": float(np.mean(premults))}
