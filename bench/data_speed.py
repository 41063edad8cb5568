"""Speed of the training data and of the sample shot (not a test; numbers go in docs/data.md).

    .venv/bin/python bench/data_speed.py [--samples 20] [--shot]

Prints the warm per-sample time of build_dataset at the cpu_small recipe's settings
and, with --shot, the CPU time of the 1280x720 x 24 sample shot.
"""
import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from cmn_vfx_training.data import build_dataset  # noqa: E402

CFG = {'size': [216, 384], 'prior': 'simulated', 'cache_dir': '.cache/cmn_data',
       'foregrounds': [{'type': 'procedural'}, {'type': 'portraits', 'root': 'assets/p3m_dev', 'max_side': 640}],
       'backgrounds': [{'type': 'folder', 'root': 'assets/backgrounds'}, {'type': 'procedural', 'weight': 0.5}],
       'augment': {'crop': 160}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--samples', type=int, default=20)
    parser.add_argument('--shot', action='store_true')
    args = parser.parse_args()
    ds = build_dataset(CFG)
    for i in range(3):
        ds[i]
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(args.samples):
        ds[i]
    print(f'dataset 216x384 crop 160 T=3: {(time.perf_counter() - wall) / args.samples:.3f} s wall, '
          f'{(time.process_time() - cpu) / args.samples:.3f} s CPU per sample')
    if args.shot:
        from cmn_vfx.sample_shot import build_sample_shot

        with tempfile.TemporaryDirectory() as out:
            build_sample_shot(out, frames=1, size=(64, 36))  # warm imports and the fgr cache
            wall, cpu = time.perf_counter(), time.process_time()
            build_sample_shot(out, frames=24, size=(1280, 720))
            print(f'sample shot 1280x720 x 24: {time.perf_counter() - wall:.1f} s wall, '
                  f'{time.process_time() - cpu:.1f} s CPU')


if __name__ == '__main__':
    main()
