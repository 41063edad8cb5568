"""Names that must also exist where the light layer cannot import them stay equal to the light layer's."""
from cmn_vfx.job import names


def test_prior_names_are_the_prior_packages():
    from cmn_vfx.prior import AUTO, NAMES
    assert NAMES is names.PRIORS and AUTO in NAMES and AUTO != "auto"


def test_engine_and_farm_use_the_names():
    from cmn_vfx.engine import matte
    from cmn_vfx_farm import backends
    assert backends.BACKENDS is names.BACKENDS
    from cmn_vfx.job import spec
    assert spec.PRECISIONS is names.PRECISIONS and matte.DEFAULT_WARMUP == names.DEFAULT_WARMUP == 8
