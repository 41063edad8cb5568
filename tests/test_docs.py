"""The README and docs/*.md name only repository files that exist (a moved test or module fails here)."""
import glob
import os
import re

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOP = ("cmn_vfx", "farm", "training", "nuke_plugin", "gizmos", "tests", "bench", "tools", "docs", "assets",
       "configs", ".ci")
EXTENSIONS = ("py", "md", "yaml", "yml", "txt", "png", "jpg", "onnx", "pt", "tflite", "gizmo", "sh", "json",
              "avi", "mp4", "npz", "cfg")
# a path-like token: folders/name.ext, as in `tests/io/test_atomic.py` or [x](images/nuke_panel.png)
PATH = re.compile(r"(?<![\w/.-])((?:\.\./)*(?:[\w.-]+/)+[\w.-]+\.(?:" + "|".join(EXTENSIONS) + r"))(?![\w/])")
DOCS = ["README.md", *sorted(os.path.relpath(p, REPO) for p in glob.glob(os.path.join(REPO, "docs", "*.md")))]


def named_paths(text: str, doc_dir: str) -> list[tuple[str, list[str]]]:
    """(path as written, candidate repo-relative paths) for every repository path `text` names."""
    found = []
    for match in PATH.finditer(text):
        path = match.group(1)
        if any(c in path for c in "*{}#$<>") or "://" in text[max(0, match.start() - 8):match.start()]:
            continue   # a pattern or a URL, not one file
        # a link form (../x, ./x, images/x) is relative to the doc's folder, anything else to the
        # repository root; a path that lands outside the repository's folders (../shared/... beside
        # the repository, runs/ outputs) is not ours to check
        relative = path.startswith(("../", "./", "images/"))
        candidate = os.path.normpath(os.path.join(doc_dir, path) if relative else path)
        if candidate.split(os.sep)[0] in TOP:
            found.append((path, [candidate]))
    return found


def test_the_scanner_finds_paths_and_skips_patterns():
    text = ("see `tests/io/test_atomic.py`, [panel](images/nuke_panel.png), ../training/README.md, "
            "runs/x/best.pt, plates/sh010.####.exr, configs/train/ablation_{a,b}.yaml, https://x.org/docs/a.md, "
            "../shared/DESIGN.md")
    assert [p for p, _ in named_paths(text, "docs")] == ["tests/io/test_atomic.py", "images/nuke_panel.png",
                                                        "../training/README.md"]


@pytest.mark.parametrize("doc", DOCS)
def test_every_named_file_exists(doc):
    with open(os.path.join(REPO, doc), encoding="utf-8") as fh:
        text = fh.read()
    missing = [path for path, candidates in named_paths(text, os.path.dirname(doc))
               if not any(os.path.exists(os.path.join(REPO, c)) for c in candidates)]
    assert missing == [], f"{doc} names files that do not exist: {missing}"
