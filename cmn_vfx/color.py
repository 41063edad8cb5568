"""Plate colourspace <-> the network's space (sRGB-encoded Rec.709, 0..1).

The config is $OCIO when set, else OpenColorIO's built-in
'cg-config-v2.2.0_aces-v1.3_ocio-v2.4' (OIIO's bundled OCIO reads it too), or
an explicit path given to `load_config`. Names may be any colourspace name,
alias or role the config knows, plus CINEON.

CINEON is our own conversion for DPX film scans (Kodak Cineon printing density,
black 95, white 685, gamma 0.6, density 0.002 per code value, no soft clip):
    offset = 10 ** ((black - white) * density / gamma)
    lin    = (10 ** ((code - white) * density / gamma) - offset) / (1 - offset)
so code 685 -> 1.0, code 95 -> 0.0, with `code` the 10-bit value (DPX pixels as
read are code / 1023). The result is treated as linear Rec.709.
"""
from __future__ import annotations

import difflib
import functools
import os

import cv2
import numpy as np
import PyOpenColorIO as OCIO

from cmn_vfx.errors import BadInputError
from cmn_vfx.io.image import CODE_LEVELS, code_floats, to_float, to_half

BUILTIN_CONFIG = "ocio://cg-config-v2.2.0_aces-v1.3_ocio-v2.4"
CINEON = "cineon"
CINEON_BLACK, CINEON_WHITE, CINEON_GAMMA, CINEON_DENSITY = 95.0, 685.0, 0.6, 0.002
# The network space and the linear space Cineon decodes to, by their names in
# the built-in config, then common names in other configs ($OCIO).
_SRGB_NAMES = ("sRGB Encoded Rec.709 (sRGB)", "srgb_tx", "sRGB - Texture", "Utility - sRGB - Texture", "sRGB")
_LIN709_NAMES = ("Linear Rec.709 (sRGB)", "lin_rec709", "Utility - Linear - sRGB", "linear")
_SRGB_FILES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp")
_VIDEO_WORDS = ("video", "709", "601", "274m", "smpte", "ntsc", "pal", "srgb")


@functools.lru_cache(maxsize=8)
def load_config(path: str) -> "OCIO.Config":
    """An OCIO config from a file path or an 'ocio://' built-in name; BadInputError if unreadable."""
    try:
        return OCIO.Config.CreateFromFile(path)
    except (OCIO.Exception, OCIO.ExceptionMissingFile) as exc:
        raise BadInputError(f"OCIO config {path}: cannot load it ({str(exc).splitlines()[0]}); "
                            f"fix $OCIO or unset it to use {BUILTIN_CONFIG}") from None


def default_config() -> "OCIO.Config":
    """$OCIO if set, else the pinned built-in config."""
    return load_config(os.environ.get("OCIO") or BUILTIN_CONFIG)


def _all_names(config: "OCIO.Config") -> list[str]:
    names = [cs.getName() for cs in config.getColorSpaces()]
    aliases = [a for cs in config.getColorSpaces() for a in cs.getAliases()]
    roles = [role for role, _ in config.getRoles()]
    return names + aliases + roles + [CINEON]


def _first_known(config: "OCIO.Config", candidates: tuple[str, ...], what: str) -> str:
    for name in candidates:
        if config.getColorSpace(name) is not None:
            return config.getCanonicalName(name)
    raise BadInputError(f"OCIO config has no {what} colourspace (tried {', '.join(candidates)}); "
                        f"use a config that has one, e.g. {BUILTIN_CONFIG}")


def network_space(config: "OCIO.Config | None" = None) -> str:
    """Name of the sRGB-encoded Rec.709 colourspace the network sees."""
    return _first_known(config or default_config(), _SRGB_NAMES, "sRGB-encoded Rec.709")


def check_colorspace(name: str, config: "OCIO.Config | None" = None) -> str:
    """The canonical name of `name` (CINEON stays CINEON); BadInputError with close names if unknown."""
    if str(name).lower() == CINEON:
        return CINEON
    config = config or default_config()
    if config.getColorSpace(name) is not None:
        return config.getCanonicalName(name)
    names = _all_names(config)
    lowered = {n.lower(): n for n in names}
    close = difflib.get_close_matches(str(name).lower(), list(lowered), n=4, cutoff=0.5)
    hint = f"did you mean {', '.join(repr(lowered[c]) for c in close)}?" if close else \
        "list the names with `ociocheck` or use 'auto'"
    raise BadInputError(f"colourspace {name!r} is unknown to the OCIO config; {hint}")


def guess_colorspace(path: str, metadata: dict) -> str:
    """Best colourspace for a plate: metadata, else by file type.

    EXR (and float TIFF/HDR): 'oiio:ColorSpace' if the config knows it, else the
    scene_linear role. DPX/Cineon: CINEON unless the header says video/sRGB.
    PNG/JPEG and 8/16-bit TIFF: sRGB-encoded.
    """
    config = default_config()
    ext = os.path.splitext(path)[1].lower()
    tagged = str(metadata.get("oiio:ColorSpace") or "")
    if ext in (".dpx", ".cin"):
        transfer = str(metadata.get("dpx:Transfer", "")).lower()
        video = any(w in transfer for w in _VIDEO_WORDS) or "srgb" in tagged.lower()
        return network_space(config) if video else CINEON
    if tagged and config.getColorSpace(tagged) is not None:
        return config.getCanonicalName(tagged)
    if ext in _SRGB_FILES:
        return network_space(config)
    if ext in (".tif", ".tiff") and metadata.get("tiff:SampleFormat", 1) != 3:
        return network_space(config)
    return config.getCanonicalName("scene_linear")


def scene_linear_for(colorspace: str, config: "OCIO.Config | None" = None) -> str:
    """The colourspace the fg is written in: `colorspace` when it is scene-linear, else the config's
    scene_linear role (ACEScg in the built-in config; linear Rec.709 if the config has no such role).

    Scene-linear means the config says so (encoding 'scene-linear') or it is the scene_linear role.
    CINEON (DPX film scans), sRGB-encoded (PNG/JPEG) and log plates map to the role, where
    multiplying by alpha is the premultiplication a compositor expects, and which the Nuke
    plugin gives the fg Read (nuke_plugin/cmn_nuke/readnode.py fg_colorspace).
    """
    config = config or default_config()
    role = config.getColorSpace("scene_linear")
    if colorspace != CINEON:
        cs = config.getColorSpace(colorspace)
        if cs is not None and (cs.getEncoding() == "scene-linear" or (role and role.getName() == cs.getName())):
            return colorspace
    return role.getName() if role is not None else _first_known(config, _LIN709_NAMES, "linear Rec.709")


def cineon_to_linear(code: np.ndarray) -> np.ndarray:
    """Cineon log (code / 1023, any float) -> linear Rec.709; 685 -> 1.0, 95 -> 0.0."""
    offset = 10.0 ** ((CINEON_BLACK - CINEON_WHITE) * CINEON_DENSITY / CINEON_GAMMA)
    lin = (10.0 ** ((code * 1023.0 - CINEON_WHITE) * CINEON_DENSITY / CINEON_GAMMA) - offset) / (1.0 - offset)
    return lin.astype(np.float32)


def linear_to_cineon(lin: np.ndarray) -> np.ndarray:
    """Inverse of cineon_to_linear: linear Rec.709 -> code / 1023 (values below black clamp near 0)."""
    offset = 10.0 ** ((CINEON_BLACK - CINEON_WHITE) * CINEON_DENSITY / CINEON_GAMMA)
    scaled = np.maximum(lin * (1.0 - offset) + offset, 1e-10)
    code = CINEON_WHITE + np.log10(scaled) * CINEON_GAMMA / CINEON_DENSITY
    return (code / 1023.0).astype(np.float32)


@functools.lru_cache(maxsize=32)
def _cpu(config: "OCIO.Config", src: str, dst: str) -> "OCIO.CPUProcessor":
    return config.getProcessor(src, dst).getDefaultCPUProcessor()


def convert(rgb: np.ndarray, src: str, dst: str, config: "OCIO.Config | None" = None) -> np.ndarray:
    """rgb [..., 3] float32 from colourspace `src` to `dst` (both OCIO names; CINEON allowed); returns a new array."""
    config = config or default_config()
    out = np.ascontiguousarray(rgb, dtype=np.float32).copy()
    src, dst = check_colorspace(src, config), check_colorspace(dst, config)
    if src == CINEON:
        out, src = cineon_to_linear(out), _first_known(config, _LIN709_NAMES, "linear Rec.709")
    target = _first_known(config, _LIN709_NAMES, "linear Rec.709") if dst == CINEON else dst
    if src != target:
        _cpu(config, src, target).applyRGB(out)
    return linear_to_cineon(out) if dst == CINEON else out


def to_network(rgb: np.ndarray, colorspace: str) -> np.ndarray:
    """Plate rgb [..., 3] float32 (usually [H, W, 3]) in `colorspace` -> same shape, sRGB-encoded, clipped 0..1."""
    config = default_config()
    return np.clip(convert(rgb, colorspace, network_space(config), config), 0.0, 1.0)


def from_network(srgb: np.ndarray, colorspace: str) -> np.ndarray:
    """Network output [..., 3] sRGB-encoded -> same shape in `colorspace` (linear for scene-linear spaces). Not clipped."""
    config = default_config()
    return convert(srgb, network_space(config), colorspace, config)


@functools.lru_cache(maxsize=8)
def half_table(colorspace: str) -> np.ndarray | None:
    """to_network of every half-float value, per channel ([65536, 3] float32, indexed by the half's bits;
    [65536, 1] when the three channels share one curve), or None when the conversion mixes channels
    (a gamut matrix: ACEScg, ACEScct, ...; see matrix_path).

    A half plate has at most 65536 values a channel, so a table lookup gives exactly what to_network
    computes pixel by pixel, at a fraction of OCIO's cost for a 1080p frame (docs/benchmarks.md).
    Separability is tested, not assumed: the table must reproduce to_network on random colours.
    """
    return _per_channel_table(lambda rgb: to_network(rgb, colorspace))


def to_network_half(half: np.ndarray, colorspace: str) -> np.ndarray | None:
    """to_network of a half plate [..., 3] float16 (Image.half) by tables: exactly OCIO's values when the
    conversion is per channel (half_table), within MATRIX_TOLERANCE when it is per channel, one 3x3
    matrix, per channel (matrix_path: ACEScg, ACEScct, P3, ...), at a fraction of OCIO's cost; None
    otherwise (then call to_network on the float pixels)."""
    colorspace = check_colorspace(colorspace)
    if colorspace == network_space():          # sRGB plates: OCIO only clips
        return None
    table = half_table(colorspace)
    if table is not None:
        return _lookup(table, np.ascontiguousarray(half, np.float16).view(np.uint16))
    path = matrix_path(colorspace)
    return None if path is None else _via(path, half)


def _lookup(table: np.ndarray, index: np.ndarray) -> np.ndarray:
    """table [N, 1|3] at index [..., 3] (uint16 or uint8, < N), per channel. In blocks of rows with np.take
    (mode 'clip': no bounds pass, the index cannot exceed the table): a whole-frame gather first widens the
    index to intp, a 1080p frame's 50 MB of fresh pages; blocks run 2x faster (13 -> 6 ms), same values."""
    out = np.empty(index.shape, np.float32)
    rows = out.reshape(-1, *out.shape[-2:]) if out.ndim >= 3 else out.reshape(1, *out.shape)
    index = index.reshape(rows.shape)
    columns = [np.ascontiguousarray(table[:, c]) for c in range(table.shape[1])]    # views: tables are column-major
    for r in range(0, rows.shape[0], _LOOKUP_ROWS):
        block = slice(r, r + _LOOKUP_ROWS)
        if len(columns) == 1:               # the same curve on each channel (lin_rec709, sRGB, ...)
            np.take(columns[0], index[block], out=rows[block], mode="clip")
        else:
            for c, column in enumerate(columns):
                np.take(column, index[block, :, c], out=rows[block, :, c], mode="clip")
    return out


_LOOKUP_ROWS = 32


MATRIX_TOLERANCE = 1e-3     # largest |difference| from OCIO allowed for a matrix path (measured: ~2e-4)


@functools.lru_cache(maxsize=8)
def matrix_path(colorspace: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(pre table [65536, 1|3], 3x3 matrix, post table [65536, 1|3]) when OCIO converts `colorspace` to the
    network space as per-channel transforms, one matrix, per-channel transforms (ACEScg: a matrix then the
    sRGB curve); else None. The post table is indexed by the matrix's output rounded to half, so the result
    differs from OCIO's by that rounding: at most MATRIX_TOLERANCE, checked here on random colours."""
    config = default_config()
    try:        # a site's $OCIO config may build its processor otherwise: then OCIO converts, as before
        processor = config.getProcessor(colorspace, network_space(config)).getOptimizedProcessor(OCIO.OPTIMIZATION_DEFAULT)
        transforms = list(processor.createGroupTransform())
    except OCIO.Exception:
        return None
    matrices = [i for i, t in enumerate(transforms) if isinstance(t, OCIO.MatrixTransform)]
    if len(matrices) != 1 or any(abs(v) > 0 for v in transforms[matrices[0]].getOffset()):
        return None
    m = np.asarray(transforms[matrices[0]].getMatrix(), np.float64).reshape(4, 4)
    if np.any(m[:3, 3]) or np.any(m[3, :3]):
        return None
    tables = []
    for part in (transforms[:matrices[0]], transforms[matrices[0] + 1:]):
        if not part and not tables:         # nothing before the matrix: the halves as floats
            tables.append(None)
            continue
        group = OCIO.GroupTransform()
        for t in part:
            group.appendTransform(t)
        cpu = config.getProcessor(group).getDefaultCPUProcessor()
        tables.append(_per_channel_table(lambda rgb, cpu=cpu: _apply(cpu, rgb)))
    pre, post = tables
    if post is None or (transforms[:matrices[0]] and pre is None):
        return None
    post = np.clip(post, 0.0, 1.0)                          # to_network clips
    path = (pre, m[:3, :3].astype(np.float32), post)
    rng = np.random.default_rng(1)
    probe = rng.uniform(-0.1, 4.0, size=(4096, 1, 3)).astype(np.float16)
    error = np.abs(_via(path, probe) - to_network(probe.astype(np.float32), colorspace)).max()
    return path if error <= MATRIX_TOLERANCE else None


def _via(path, half: np.ndarray) -> np.ndarray:
    """pre table (None: nothing before the matrix), matrix, post table on the matrix's output as half."""
    pre, matrix, post = path
    if pre is None:
        linear = to_float(half)
        linear[~np.isfinite(linear)] = 0.0      # as read_rgb leaves them (a table's non-finite entries do it)
    else:
        linear = _lookup(pre, np.ascontiguousarray(half).view(np.uint16))
    mixed = cv2.transform(linear.reshape(-1, 1, 3), matrix).reshape(linear.shape)
    np.clip(mixed, -65504.0, 65504.0, out=mixed)      # beyond half: the curve's end, not Inf's table entry
    return _lookup(post, to_half(mixed).view(np.uint16))


def _apply(cpu, rgb: np.ndarray) -> np.ndarray:
    out = np.ascontiguousarray(rgb, np.float32).copy()
    cpu.applyRGB(out)
    return out


def _per_channel_table(fn) -> np.ndarray | None:
    """fn over every half value ([65536, 3] or [65536, 1] when the channels share it), or None when fn
    mixes channels (checked on random colours)."""
    bits = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    ramp = bits.view(np.float16).astype(np.float32)
    finite = np.isfinite(ramp)
    ramp[~finite] = 0.0
    rng = np.random.default_rng(0)
    anywhere = rng.choice(np.flatnonzero(finite), size=(2048, 3)).astype(np.uint16)
    usual = rng.uniform(-0.1, 4.0, size=(2048, 3)).astype(np.float16).view(np.uint16)
    return _table_over(fn, ramp, np.concatenate([anywhere, usual]))


def _table_over(fn, ramp: np.ndarray, probe: np.ndarray) -> np.ndarray | None:
    """fn over every value of `ramp` [N] float32 on each channel ([N, 3], or [N, 1] when the channels share
    it), or None when fn mixes channels: the table must give fn's own values on `probe` [M, 3] (indices)."""
    with np.errstate(over="ignore", invalid="ignore"):
        table = np.ascontiguousarray(fn(np.repeat(ramp[:, None], 3, axis=1)), np.float32)
        expected = fn(ramp[probe])
    if not np.array_equal(table[probe, np.arange(3)], expected, equal_nan=True):
        return None
    same = np.array_equal(table[:, 0], table[:, 1], equal_nan=True) and np.array_equal(table[:, 0], table[:, 2], equal_nan=True)
    return np.ascontiguousarray(table[:, :1]) if same else np.asfortranarray(table)   # columns contiguous (_lookup)


@functools.lru_cache(maxsize=8)
def code_table(colorspace: str, dtype: np.dtype) -> np.ndarray | None:
    """to_network of every integer code of `dtype` (uint16 or uint8; a 10-bit DPX comes as 16-bit codes), read
    as the reader reads them (cmn_vfx.io.image.code_floats), per channel ([levels + 1, 3] or [levels + 1, 1]),
    or None when the conversion mixes channels. Exactly to_network's values for such a plate, computed once."""
    levels = CODE_LEVELS[np.dtype(dtype)]
    ramp = code_floats(np.arange(levels + 1).astype(dtype))
    probe = np.random.default_rng(0).integers(0, levels + 1, size=(4096, 3))
    return _table_over(lambda rgb: to_network(rgb, colorspace), ramp, probe)


def to_network_codes(codes: np.ndarray, colorspace: str) -> np.ndarray | None:
    """to_network of an integer plate [..., 3] uint16 or uint8 (Image.codes) by a per-code table: exactly the
    values to_network gives its float pixels (code * (1 / 65535) or * (1 / 255)); None when the conversion mixes channels
    or the plate is already in the network's space (then OCIO only clips)."""
    colorspace = check_colorspace(colorspace)
    if codes.dtype not in CODE_LEVELS or colorspace == network_space():
        return None
    table = code_table(colorspace, codes.dtype)
    return None if table is None else _lookup(table, codes)
