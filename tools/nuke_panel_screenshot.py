"""Redraw docs/images/nuke_panel.png from a real local job: the panel after a real `cmn-farm submit`.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/nuke_panel_screenshot.py [--out docs/images/nuke_panel.png]

Builds an 8-frame sample shot in a temporary folder, opens the Nuke panel (the plugin's own
cmn_nuke, imported from nuke_plugin/ as Nuke does from NUKE_PATH, with real PySide6 offscreen and
a Nuke-like palette) on a Read of that plate, picks the person, submits through the real cmn-farm
(local backend, detached), waits for the job's frames, and grabs the panel. Needs the dev extras
(PySide6, qtpy) and the training extra (the sample shot's foreground estimate). Tests never write
into docs/: this is the only command that does.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PALETTE = {"Window": "#323232", "WindowText": "#c8c8c8", "Base": "#1e1e1e", "AlternateBase": "#2a2a2a",
           "Text": "#d2d2d2", "Button": "#3e3e3e", "ButtonText": "#d2d2d2", "Highlight": "#f7931e",
           "HighlightedText": "#000000", "ToolTipBase": "#404040", "ToolTipText": "#e0e0e0"}
FRAMES, SIZE = 8, (640, 360)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/nuke_panel_screenshot.py", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(REPO, "docs", "images", "nuke_panel.png"))
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, os.path.join(REPO, "nuke_plugin"))   # as Nuke does for a NUKE_PATH folder
    from cmn_nuke import panel, readnode
    from qtpy import QtCore, QtGui, QtWidgets

    work = tempfile.mkdtemp(prefix="cmn_panel_")
    subprocess.run([sys.executable, "-m", "cmn_vfx.sample_shot", "--out", os.path.join(work, "shot"),
                    "--frames", str(FRAMES), "--size", f"{SIZE[0]}x{SIZE[1]}"], check=True, stdout=subprocess.DEVNULL)
    plate = os.path.join(work, "shot", "plate", "sample.%04d.exr")
    last = 1000 + FRAMES
    knobs = readnode.ReadKnobs(name="Read_sample_plate", file=plate, first=1001, last=last, origfirst=1001,
                               origlast=last, colorspace="Linear Rec.709 (sRGB)",
                               format=(SIZE[0], SIZE[1], 1.0, "sample"), bbox=(0, 0, SIZE[0], SIZE[1]),
                               colorspace_values=["Linear Rec.709 (sRGB)", "ACES - ACEScg", "Utility - Raw"])
    farm = os.path.join(os.path.dirname(sys.executable), "cmn-farm")
    environ = {**os.environ, "CMN_FARM": farm, "CMN_NUKE_SETTINGS": os.path.join(work, "settings.json")}

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    app.setStyle("Fusion")
    palette = QtGui.QPalette()
    for role, colour in PALETTE.items():
        palette.setColor(getattr(QtGui.QPalette, role), QtGui.QColor(colour))
    app.setPalette(palette)
    p = panel.MattePanel(knobs, environ=environ, on_load=lambda result: None)
    p.output.setText(os.path.join(work, "cmn"))
    job = p.submit()                     # runs beside the UI (cmn_nuke/background.py); local: attached
    if job is None:
        raise SystemExit(f"submit failed: {p.message.text()}")
    loop = QtCore.QEventLoop()
    job.finished.connect(lambda *_: loop.quit())
    QtCore.QTimer.singleShot(600_000, loop.quit)
    loop.exec_() if hasattr(loop, "exec_") else loop.exec()
    result = p.result
    if result is None:
        raise SystemExit(f"the local job did not finish: {p.message.text()}")
    p.show()
    p.submit_button.setFocus()
    app.processEvents()
    image = p.grab().toImage()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    if not image.save(args.out):
        raise SystemExit(f"could not write {args.out}")
    print(f"{args.out}: the panel after job {result['job_id']} ({work})")
    p.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
