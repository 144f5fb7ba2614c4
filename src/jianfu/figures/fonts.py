"""The figures' Chinese font: an OFL TrueType subset of Noto Sans SC, built from a PyPI package.

Why a build step: matplotlib's own font (DejaVu Sans) has no Chinese glyphs, and no system font
can be assumed (no root, no network at run time). Noto Sans SC is on PyPI inside the data-only
package ``pylopdf-fonts-zh-cn`` (the upstream ``notofonts/noto-cjk`` file ``Sans/SubsetOTF/SC/
NotoSansSC-Regular.otf``, version 2.004, with the SIL Open Font License 1.1 text). It has CFF
(PostScript) outlines, which matplotlib embeds in PDF either as Type 3 (Chinese text not
searchable) or, with ``pdf.fonttype = 42``, as a malformed CIDFontType2 (poppler warns "Mismatch
between font type and embedded font file"). `build_font` therefore

1. subsets the font to GB2312 (the 7,445 characters of the national standard: 6,763 hanzi plus
   punctuation, kana, Greek, Cyrillic, box drawing…) plus Latin, general punctuation, arrows,
   mathematical operators, CJK punctuation and full-width forms (`charset`);
2. converts the cubic CFF outlines of the kept glyphs to quadratic TrueType outlines (fontTools
   ``cu2qu``, maximum error 1 font unit of 1000 per em), keeping the OpenType layout tables
   (matplotlib 3.11 shapes text with libraqm); the subset is made without the outlines, which
   are then drawn from the source (`_font_bytes`: the same bytes in about half the time);
3. renames the family to ``Jianfu Sans SC`` (a Modified Version under the OFL should not pass for
   the original, and a distinct name cannot be shadowed by a system-installed Noto Sans SC);
4. writes the TTF, ``OFL.txt`` (copyright notice + the licence text shipped by the package) and
   ``FONTLOG.txt`` (what was changed, from which file, with which tools), all byte-identical on
   every run for the same inputs and fontTools version.

Never use the ``SimHei.ttf`` that the ``mplfonts`` package also bundles: it is proprietary.
`use_font` registers a built TTF with matplotlib; `font_family` tells which family to ask for.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from jianfu.core.errors import JianfuError
from jianfu.core.io import atomic_dir

#: Family name of the built font (what matplotlib's ``font.family`` asks for).
FONT_FAMILY = "Jianfu Sans SC"
FONT_PS_NAME = "JianfuSansSC-Regular"
FONT_FILE = f"{FONT_PS_NAME}.ttf"
LICENSE_FILE = "OFL.txt"
FONTLOG_FILE = "FONTLOG.txt"

#: The PyPI distribution, its module, and the font file it ships (OFL 1.1, no runtime download).
SOURCE_DISTRIBUTION = "pylopdf-fonts-zh-cn"
SOURCE_MODULE = "pylopdf_fonts_zh_cn"
SOURCE_FILE = "NotoSansSC-Regular.otf"
#: SHA-256 of that file in pylopdf-fonts-zh-cn 0.1.1; equals the digest the package's README
#: gives for notofonts/noto-cjk revision f8d157532fbfaeda587e826d4cd5b21a49186f7c.
SOURCE_SHA256 = "faa6c9df652116dde789d351359f3d7e5d2285a2b2a1f04a2d7244df706d5ea9"

#: Code point ranges kept besides GB2312 (only those the source font has are kept).
EXTRA_RANGES: tuple[tuple[int, int], ...] = (
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x024F),  # Latin-1 Supplement, Latin Extended-A/B (pinyin tone marks)
    (0x0370, 0x03FF),  # Greek (α, β, θ, χ)
    (0x2000, 0x206F),  # General Punctuation (dashes, quotes, ‰, ′)
    (0x2070, 0x209F),  # superscripts and subscripts
    (0x2100, 0x214F),  # letterlike symbols (№, ℃)
    (0x2190, 0x21FF),  # arrows (→ in path labels)
    (0x2200, 0x22FF),  # mathematical operators (− × ± ≤ ≥)
    (0x2460, 0x24FF),  # enclosed alphanumerics (①)
    (0x2500, 0x257F),  # box drawing
    (0x25A0, 0x25FF),  # geometric shapes (■ ● ▲)
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF00, 0xFFEF),  # half- and full-width forms
)

_CU2QU_MAX_ERR = 1.0  # font units (1000 per em)
_TRUETYPE_TAGS = (b"\x00\x01\x00\x00", b"true")


@dataclass(frozen=True)
class FontFiles:
    """The files `build_font` wrote, and the family name to give matplotlib."""

    font: Path
    license: Path
    fontlog: Path
    family: str = FONT_FAMILY


def gb2312_codepoints() -> frozenset[int]:
    """All characters of GB 2312-80 (rows 0xA1–0xF7, cells 0xA1–0xFE of EUC-CN)."""
    chars = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return frozenset(chars)


def charset() -> frozenset[int]:
    """The code points the built font is asked to cover: GB2312 plus `EXTRA_RANGES`."""
    extra = {cp for lo, hi in EXTRA_RANGES for cp in range(lo, hi + 1)}
    return gb2312_codepoints() | frozenset(extra)


def source_font() -> Path:
    """Path of Noto Sans SC inside the installed ``pylopdf-fonts-zh-cn`` package."""
    try:
        import pylopdf_fonts_zh_cn  # type: ignore[import-not-found]
    except ImportError as exc:
        raise JianfuError(
            f"the figures' Chinese font is built from the PyPI package {SOURCE_DISTRIBUTION!r} "
            f"(Noto Sans SC, SIL Open Font License 1.1), which is not installed: "
            f"pip install '{SOURCE_DISTRIBUTION}>=0.1.1,<0.2'"
        ) from exc
    return Path(pylopdf_fonts_zh_cn.__file__).parent / SOURCE_FILE


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _source_license() -> str:
    """The OFL text shipped by the source distribution (its licence file, else its metadata)."""
    dist = metadata.distribution(SOURCE_DISTRIBUTION)
    for name in ("licenses/LICENSE", "LICENSE"):
        text = dist.read_text(name)
        if text:
            return text
    text = dist.metadata.get("License") or ""
    if "Open Font License" not in text:
        raise JianfuError(f"{SOURCE_DISTRIBUTION}: no SIL Open Font License text found")
    return text


def _subset(font, codepoints: Iterable[int]) -> None:
    from fontTools import subset

    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.desubroutinize = True
    options.drop_tables += ["DSIG", "VORG", "vhea", "vmtx", "BASE"]
    wanted = set(codepoints) & set(font.getBestCmap())
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(wanted))
    subsetter.subset(font)


def _cid_keyed(font) -> bool:
    """Whether the font's CFF table is CID-keyed (as Noto Sans SC's is: no seac accents)."""
    if "CFF " not in font:
        return False
    cff = font["CFF "].cff
    return hasattr(cff[cff.fontNames[0]], "ROS")


def _cff_to_truetype(font, glyph_set=None) -> None:
    """Replace the CFF table by quadratic glyf/loca outlines (what fontTools' otf2ttf does).

    `glyph_set` draws the outlines (default: the font's own); the subset build passes the source
    font's, whose CFF table is no longer in `font`.
    """
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet() if glyph_set is None else glyph_set
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=_CU2QU_MAX_ERR, reverse_direction=True))
        glyphs[name] = pen.glyph()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    if "CFF " in font:
        del font["CFF "]
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    maxp.numGlyphs = len(order)
    font["maxp"] = maxp
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font.sfntVersion = "\x00\x01\x00\x00"


def _rename(font, source_version: str) -> None:
    """Give the Modified Version its own names; keep copyright, designers and licence records."""
    names = font["name"]
    style = "Regular"
    records = {
        1: FONT_FAMILY,
        2: style,
        3: f"{source_version};jianfu;{FONT_PS_NAME}",
        4: f"{FONT_FAMILY} {style}",
        6: FONT_PS_NAME,
        10: (
            "Subset of Noto Sans SC (GB2312 + Latin) with TrueType outlines, made for the "
            "jianfu project's figures; see FONTLOG.txt."
        ),
    }
    names.names = [r for r in names.names if r.nameID not in (*records, 7, 16, 17, 21, 22)]
    for name_id, text in records.items():
        names.setName(text, name_id, 3, 1, 0x409)
        names.setName(text, name_id, 1, 0, 0)


def _font_bytes(source: Path, codepoints: Iterable[int]) -> tuple[bytes, str, int]:
    from fontTools.ttLib import TTFont

    font = TTFont(str(source), recalcTimestamp=False)
    version = str(font["name"].getDebugName(5) or "").split(";")[0].removeprefix("Version").strip()
    if _cid_keyed(font):
        # Subset without the outlines, then convert only the kept glyphs. Subsetting the CFF
        # table itself (closure over seac accents, desubroutinizing, dropping hints, pruning
        # subroutines) was three quarters of the build, for a table replaced right after. The
        # glyph set keeps drawing from the source CFF: hint operators and subroutine calls do
        # not change an outline, so the TTF is byte-identical to subsetting first (Noto Sans SC
        # 2.004; benchmarks/bench_figures.py --fonts times both: 5.8 -> 3.7 CPU seconds, 11.7 ->
        # 5.4 s wall on the shared 2-core machine). A CID-keyed font has no seac accents, so
        # leaving the CFF out of the closure loses no glyph.
        glyph_set = font.getGlyphSet()
        font.getGlyphOrder()  # read it from the CFF charset before the table goes
        del font["CFF "]
        _subset(font, codepoints)
        _rename(font, version)
        _cff_to_truetype(font, glyph_set)
    else:  # a name-keyed CFF may build accents from others (seac): subset the outlines too
        _subset(font, codepoints)
        _rename(font, version)
        _cff_to_truetype(font)
    font.recalcTimestamp = False  # keep head.modified: the output depends on the inputs only
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue(), version, len(font.getBestCmap())


def _copyright(font_path: Path) -> str:
    from fontTools.ttLib import TTFont

    return str(TTFont(str(font_path), lazy=True)["name"].getDebugName(0) or "").strip()


def _fontlog(source: Path, source_sha: str, version: str, out_sha: str, n_chars: int) -> str:
    import fontTools

    try:
        dist = f"{SOURCE_DISTRIBUTION} {metadata.version(SOURCE_DISTRIBUTION)}"
    except metadata.PackageNotFoundError:
        dist = "(not from the package)"
    return "\n".join(
        [
            f"FONTLOG for {FONT_FAMILY} ({FONT_FILE})",
            "",
            "Basic font information",
            f"  {FONT_FAMILY} is a Modified Version of Noto Sans SC {version} (SIL Open",
            "  Font License 1.1, see OFL.txt), made by the jianfu project so that the Chinese",
            "  text of its figures is embedded in PDFs as searchable TrueType (CIDFontType2) text.",
            "",
            "Source",
            f"  file     {source.name} from {dist}",
            "           (notofonts/noto-cjk Sans/SubsetOTF/SC)",
            f"  sha256   {source_sha}",
            "",
            "Changes",
            "  - subset to GB2312 plus Latin, Greek, punctuation, arrows, mathematical",
            f"    operators, CJK punctuation and full-width forms ({n_chars} characters);",
            "    OpenType layout kept; hinting, DSIG, VORG, vhea, vmtx and BASE dropped",
            f"  - CFF outlines converted to quadratic TrueType outlines (fontTools cu2qu, max error"
            f" {_CU2QU_MAX_ERR:g} unit)",
            f"  - renamed: family '{FONT_FAMILY}', PostScript name '{FONT_PS_NAME}'",
            f"  - built with fontTools {fontTools.version} by jianfu.figures.fonts.build_font",
            "",
            "Result",
            f"  sha256   {out_sha}",
            "",
        ]
    )


def build_font(
    out_dir: str | Path,
    *,
    source: str | Path | None = None,
    codepoints: Iterable[int] | None = None,
) -> FontFiles:
    """Build the figures' font: TTF subset + ``OFL.txt`` + ``FONTLOG.txt`` in `out_dir`.

    Parameters
    ----------
    out_dir : folder owned by the build; replaced as a whole (atomically) when the build succeeds.
    source : an OFL Noto Sans SC/CJK font to convert instead of the packaged one (its SHA-256 is
        recorded, not checked; the licence text still comes from the package).
    codepoints : characters to keep (default `charset`); tests pass a few to build in ~1 s.

    Returns
    -------
    FontFiles: the paths written. The same inputs give byte-identical files (about 4 CPU
    seconds and 2.4 MB for the default character set on this project's machines).
    """
    src = Path(source) if source is not None else source_font()
    if not src.is_file():
        raise JianfuError(f"font source not found: {src}")
    source_sha = _sha256(src)
    if source is None and source_sha != SOURCE_SHA256:
        raise JianfuError(
            f"{src}: SHA-256 {source_sha} is not that of Noto Sans SC in "
            f"{SOURCE_DISTRIBUTION} 0.1.1 ({SOURCE_SHA256}); install that version, or pass "
            "source= explicitly"
        )
    data, version, n_chars = _font_bytes(src, charset() if codepoints is None else codepoints)
    license_text = _source_license()
    notice = _copyright(src)
    ofl = (
        f"{notice}\n"
        f"{FONT_FAMILY} is a Modified Version of Noto Sans SC: see {FONTLOG_FILE}.\n\n"
        f"{license_text.strip()}\n"
    )
    log = _fontlog(src, source_sha, version, hashlib.sha256(data).hexdigest(), n_chars)
    out = Path(out_dir)
    with atomic_dir(out) as tmp:
        (tmp / FONT_FILE).write_bytes(data)
        (tmp / LICENSE_FILE).write_bytes(ofl.encode("utf-8"))
        (tmp / FONTLOG_FILE).write_bytes(log.encode("utf-8"))
    return FontFiles(out / FONT_FILE, out / LICENSE_FILE, out / FONTLOG_FILE)


# --------------------------------------------------------------------------- matplotlib


def _is_truetype(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) in _TRUETYPE_TAGS


def use_font(path: str | Path) -> str:
    """Register a built TTF with matplotlib (idempotent); return its family name.

    Raises `JianfuError` for a missing file or a font with CFF outlines (they embed in PDF as
    Type 3 or as a malformed Type 42 font; build a TrueType one with `build_font`).
    """
    from matplotlib import font_manager

    path = Path(path).resolve()
    if not path.is_file():
        raise JianfuError(
            f"figure font not found: {path} (build it with jianfu.figures.fonts.build_font)"
        )
    if not _is_truetype(path):
        raise JianfuError(f"{path}: not a TrueType-outline font; build one with build_font")
    manager = font_manager.fontManager
    if not any(Path(entry.fname) == path for entry in manager.ttflist):
        manager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def font_family() -> str | None:
    """`FONT_FAMILY` if a font of that family is registered with matplotlib, else None."""
    from matplotlib import font_manager

    names = {entry.name for entry in font_manager.fontManager.ttflist}
    return FONT_FAMILY if FONT_FAMILY in names else None


def font_path() -> str | None:
    """The file of the registered `FONT_FAMILY` font matplotlib uses, or None.

    The first one registered: matplotlib picks the first of equally good matches. A pool
    worker registers this file, so that it draws with the same font as its parent.
    """
    from matplotlib import font_manager

    return next((e.fname for e in font_manager.fontManager.ttflist if e.name == FONT_FAMILY), None)


@contextmanager
def font_context(path: str | Path) -> Iterator[str]:
    """Register `path` and make it matplotlib's first font family inside the block."""
    import matplotlib as mpl

    family = use_font(path)
    with mpl.rc_context({"font.family": [family, "DejaVu Sans"]}):
        yield family
