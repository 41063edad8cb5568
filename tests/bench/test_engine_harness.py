"""bench/harness/engine.py builds every engine the bench runs from a checked spec: the runtime code
(cmn_vfx.engine.runtime) trusts ShotSpec.problems for runtime and threads and checks them no more."""
import pytest

from bench.harness.engine import bench_spec
from cmn_vfx.errors import BadInputError


def test_the_bench_spec_is_checked_before_a_runtime_opens():
    assert bench_spec("default", runtime="onnx", threads=2).threads == 2
    with pytest.raises(BadInputError) as bad:
        bench_spec("default", runtime="tensorrt", threads=0)
    lines = str(bad.value).splitlines()
    assert len(lines) == 2 and "threads 0" in lines[0] and "runtime 'tensorrt' is unknown" in lines[1]
