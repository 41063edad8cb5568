"""cmn_vfx_training.data: build_dataset, sources, splits, lazy readers with DataLoader workers."""
import os

import av
import cv2
import numpy as np
import pytest
import torch

from cmn_vfx.errors import BadInputError
from cmn_vfx_training.augment import srgb_decode, srgb_encode
from cmn_vfx_training.data import build_dataset
from cmn_vfx_training.data.backgrounds import BackgroundSource
from cmn_vfx_training.data.portraits import HELD_OUT, PortraitSource, list_portraits

ASSETS = os.path.join(os.path.dirname(__file__), '..', '..', 'assets')
P3M = os.path.join(ASSETS, 'p3m_dev')
OFF = dict(crop=0, flip=0.0, jitter=0.0, gamma=0.0, jpeg=0.0, h264=0.0)


def _cfg(tmp_path, **kw):
    cfg = dict(seq_length=3, size=[36, 48], length=4, fixed=True, cache_dir=str(tmp_path / 'cache'),
               foregrounds=[{'type': 'procedural'}, {'type': 'portraits', 'root': P3M, 'max_side': 96}],
               backgrounds=[{'type': 'procedural'}], augment=dict(OFF, crop=32))
    cfg.update(kw)
    return cfg


def _write_video(path, frames=12, size=(40, 30)):
    with av.open(path, 'w') as container:
        stream = container.add_stream('mpeg4', rate=10)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], 'yuv420p'
        for i in range(frames):
            img = np.full((size[1], size[0], 3), i * 12, np.uint8)  # frame i has grey level 12 i
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format='rgb24')):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def test_samples_follow_the_contract(tmp_path):
    ds = build_dataset(_cfg(tmp_path, prior='simulated'))
    s = ds[0]
    assert set(s) == {'src', 'pha', 'fgr', 'bgr', 'prior', 'flow', 'flow_valid'}
    assert s['src'].shape == (3, 3, 32, 32) and s['pha'].shape == (3, 1, 32, 32)
    assert s['flow'].shape == (3, 2, 32, 32) and float(s['flow_valid']) == 1.0
    assert s['prior'].shape == (3, 1, 32, 32)
    for key in ('src', 'pha', 'fgr', 'bgr', 'prior'):
        assert s[key].dtype == torch.float32 and 0.0 <= float(s[key].min()) and float(s[key].max()) <= 1.0
    # the default blend is linear light, encoded back to sRGB (as a camera records soft edges)
    lin = s['pha'].numpy() * srgb_decode(s['fgr'].numpy()) + (1 - s['pha'].numpy()) * srgb_decode(s['bgr'].numpy())
    assert float(np.abs(s['src'].numpy() - srgb_encode(lin)).max()) < 1e-5
    srgb = build_dataset(_cfg(tmp_path, prior='simulated', augment=dict(OFF, crop=32, blend='srgb')))[0]
    composite = srgb['pha'] * srgb['fgr'] + (1 - srgb['pha']) * srgb['bgr']
    assert float((srgb['src'] - composite).abs().max()) < 1e-5
    with pytest.raises(BadInputError, match='blend'):
        build_dataset(_cfg(tmp_path, augment=dict(OFF, blend='log')))
    assert float(s['flow'][0].abs().max()) == 0.0  # no previous frame


def test_fixed_datasets_repeat_and_vary_by_index(tmp_path):
    ds = build_dataset(_cfg(tmp_path))
    a, b, c = ds[1], ds[1], ds[2]
    assert torch.equal(a['src'], b['src']) and torch.equal(a['pha'], b['pha'])
    assert not torch.equal(a['src'], c['src'])
    random_ds = build_dataset(_cfg(tmp_path, fixed=False))
    torch.manual_seed(0)
    first = random_ds[1]['src']
    torch.manual_seed(0)
    assert torch.equal(first, random_ds[1]['src'])  # seeded from torch's RNG, so resumable
    assert not torch.equal(first, random_ds[1]['src'])


def test_dataloader_workers_open_files_lazily(tmp_path):
    video_dir = tmp_path / 'bg'
    video_dir.mkdir()
    _write_video(str(video_dir / 'a.avi'))
    ds = build_dataset(_cfg(tmp_path, backgrounds=[{'type': 'folder', 'root': str(video_dir)}], prior='mixed'))
    loader = torch.utils.data.DataLoader(ds, batch_size=2, num_workers=2)
    batches = list(loader)
    assert len(batches) == 2
    assert batches[0]['src'].shape == (2, 3, 3, 32, 32) and batches[1]['prior'].shape == (2, 3, 1, 32, 32)


def test_portrait_splits_hold_out_the_validation_portraits():
    train = [os.path.basename(p) for p, _ in list_portraits(P3M, 'train')]
    val = [os.path.basename(p) for p, _ in list_portraits(P3M, 'val')]
    assert len(train) == 4 and sorted(val) == ['p_22fc0130.jpg', 'p_a09f6d7a.jpg']
    assert not set(train) & set(val) and not {os.path.splitext(n)[0] for n in train} & set(HELD_OUT)
    samples = os.path.join(os.path.dirname(P3M), 'p3m_samples')
    with pytest.raises(BadInputError, match='validation portraits'):
        PortraitSource(samples, split='train', held_out=())      # refused before any still is loaded
    with pytest.raises(BadInputError, match='no portrait'):
        list_portraits(samples, 'train')     # every p3m_samples portrait is on the validation side


def test_training_backgrounds_skip_validation_videos_and_configs_use_no_validation_source():
    import glob

    import yaml
    root = os.path.join(os.path.dirname(P3M), 'backgrounds')
    train = BackgroundSource(root, split='train')
    assert [os.path.basename(i.path) for i in train._items] == ['bigbuckbunny.mp4', 'tree.avi']
    assert {os.path.basename(i.path) for i in BackgroundSource(root, split='val')._items} == {'bigbuckbunny.mp4', 'tree.avi', 'vtest.avi'}
    for path in glob.glob(os.path.join(os.path.dirname(P3M), '..', 'configs', 'train', '*.yaml')):
        text = open(path, encoding='utf-8').read()
        assert 'assets/stills' not in text and 'p3m_samples' not in text, path
        for section in ('data', 'val_data'):
            for fg in (yaml.safe_load(text).get(section) or {}).get('foregrounds', []):
                assert fg.get('type') != 'portraits' or section == 'val_data' or fg.get('split', 'train') == 'train', path


def test_background_splits_do_not_overlap_and_the_cache_matches_decoding(tmp_path):
    video_dir = tmp_path / 'bg'
    (video_dir / 'seq').mkdir(parents=True)
    _write_video(str(video_dir / 'clip.avi'), frames=20)
    for i in range(10):
        cv2.imwrite(str(video_dir / 'seq' / f'f{i:03d}.png'), np.full((30, 40, 3), i * 25, np.uint8))
    train = BackgroundSource(str(video_dir), 'train')
    val = BackgroundSource(str(video_dir), 'val', cache_dir=str(tmp_path / 'cache'))
    (t0, t1), (v0, v1) = train.window_range(0), val.window_range(0)
    assert (t0, t1) == (0, 13) and (v0, v1) == (14, 20)
    direct, cached = train.read(0, 15, 3), val.read(0, 15, 3)
    assert direct.shape == cached.shape == (3, 30, 40, 3)
    assert float(np.abs(direct - cached).mean()) < 0.02
    assert abs(float(direct[1].mean()) - 16 * 12 / 255) < 0.03  # frame 16 is grey 192
    seq = train.read(1, 2, 3)
    assert np.allclose(seq[:, 0, 0, 0], np.array([2, 3, 4]) * 25 / 255, atol=1e-6)
    # raw frames (uint8, cropped before the float conversion) give the same canvas to the bit
    from cmn_vfx_training.data.dataset import _fit_background
    for item, start in ((0, 15), (1, 8)):                   # a video (held at its end) and a sequence
        raw = val.read(item, start, 4, raw=True) if item == 0 else train.read(item, start, 4, raw=True)
        floats = val.read(item, start, 4) if item == 0 else train.read(item, start, 4)
        assert len(raw) == 4 and all(f.dtype == np.uint8 for f in raw)
        canvases = [_fit_background(frames, (24, 14), np.random.default_rng(3)) for frames in (raw, floats)]
        assert canvases[0].dtype == np.float32 and np.array_equal(*canvases)


def test_videomatte_layout(tmp_path):
    root = tmp_path / 'vm'
    for sub in ('fgr', 'pha'):
        (root / sub / 'clip0').mkdir(parents=True)
    for i in range(4):
        cv2.imwrite(str(root / 'fgr' / 'clip0' / f'{i:05d}.jpg'), np.full((36, 64, 3), 200, np.uint8))
        pha = np.zeros((36, 64), np.uint8)
        pha[10:, 20:40] = 255
        cv2.imwrite(str(root / 'pha' / 'clip0' / f'{i:05d}.jpg'), pha)
    ds = build_dataset(_cfg(tmp_path, foregrounds=[{'type': 'videomatte', 'root': str(root)}]))
    s = ds[0]
    assert float(s['flow_valid']) == 0.0 and float(s['flow'].abs().max()) == 0.0
    assert 0.1 < float(s['pha'].mean()) < 0.6


@pytest.mark.parametrize('bad', [{'prior': 'maybe'}, {'colour': 1}, {'size': [8, 8]},
                                 {'foregrounds': [{'type': 'nope'}]},
                                 {'foregrounds': [{'type': 'portraits', 'root': '/nonexistent'}]},
                                 {'backgrounds': [{'type': 'procedural', 'speed': 2}]}])
def test_bad_data_configs_raise_user_errors(tmp_path, bad):
    with pytest.raises(BadInputError):
        build_dataset(_cfg(tmp_path, **bad))


def test_real_prior_runs_the_person_segmenter_on_the_composite(tmp_path):
    pytest.importorskip('cmn_vfx.prior')
    cfg = _cfg(tmp_path, prior='real', size=[72, 96], foregrounds=[{'type': 'portraits', 'root': P3M, 'max_side': 160}],
               augment=dict(OFF, crop=0))
    s = build_dataset(cfg)[0]
    prior, pha = s['prior'], s['pha']
    assert prior.shape == (3, 1, 72, 96) and 0.0 <= float(prior.min()) and float(prior.max()) <= 1.0
    inside, outside = float(prior[pha > 0.9].mean()), float(prior[pha < 0.1].mean())
    assert inside > outside + 0.2  # the segmenter finds the real person
