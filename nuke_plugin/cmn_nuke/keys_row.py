"""The panel's Keys row: keyframes that teach the shot its own model (docs/nuke.md, Teach the shot from Nuke).

    [1001,1020,1040            ] [From selection] [Suggest keys] [Clear]
    Keys: 1001, 1020, 1040 (from Roto1)                      Teach [3.0 min]
    Suggested: [1017] [1032] [1005] [Use all]                (after Suggest keys; reasons as tooltips)

From selection takes the selected Roto/RotoPaint node (the frames listed are rendered at Submit) or a
Read of key mattes (its frames on disk are the keys). Suggest keys runs `cmn-matte suggest-keys` on the
automatic run's OUTPUT/alpha beside the UI (background.py). The rules are keys.py's; the Nuke calls
keynodes.py's (injected as `key_nodes`, so tests hand in the same module over a `nuke` double).
"""
from __future__ import annotations

import html
import os

from qtpy import QtWidgets

from . import background, keys, readnode, submit
from .vendor.job.spec import DEFAULT_TEACH_MINUTES


class KeysRow(QtWidgets.QWidget):
    """panel: the MattePanel it sits in (knobs, project_directory, plate, output, frames, environ, settings, result,
    _say, show_errors).
    key_nodes: selected_source(plate_node, project_directory) -> a source dict, and
    render_roto(source, pattern, frames, format) (keynodes.py in Nuke); None greys out From selection."""

    def __init__(self, panel, key_nodes=None):
        super().__init__()
        self.panel, self.key_nodes = panel, key_nodes
        self.source: dict | None = None
        self.suggestions: list[dict] = []
        self.suggest_job: background.BackgroundJob | None = None
        self.frame_list = QtWidgets.QLineEdit()
        self.frame_list.setPlaceholderText("e.g. 1001,1020,1040")
        self.frame_list.setToolTip("The key frames a Roto/RotoPaint node is rendered at (plate frame numbers), "
                                   "into OUTPUT/keys/<name>.####.exr at Submit. A Read's keys are its frames on disk.")
        self.frame_list.textChanged.connect(self._show_keys)
        self.from_selection = self._button("From selection", self.choose, "Select a Roto/RotoPaint node drawn on "
                                           "the person, or a Read of key mattes (channel A, numbered like the plate)")
        self.from_selection.setEnabled(key_nodes is not None)
        self.suggest_button = self._button("Suggest keys", self.suggest, "After an automatic run (Submit without "
                                           "keys): the frames where its matte is least sure (cmn-matte suggest-keys "
                                           "on OUTPUT/alpha)")
        clear = self._button("Clear", self.clear, "No keys: the automatic matte")
        self.label = QtWidgets.QLabel()
        self.label.setWordWrap(True)
        self.minutes = QtWidgets.QDoubleSpinBox()
        self.minutes.setRange(0.5, 600.0)
        self.minutes.setDecimals(1)
        self.minutes.setSuffix(" min")
        self.minutes.setValue(DEFAULT_TEACH_MINUTES)
        self.minutes.setToolTip("How long the farm's Teach step trains the shot's model (the spec's teach_minutes, "
                                f"default {DEFAULT_TEACH_MINUTES:g}). Used only with keys.")
        self.suggested = QtWidgets.QHBoxLayout()
        self.suggested_box = QtWidgets.QWidget()
        self.suggested_box.setLayout(self.suggested)
        self.suggested.setContentsMargins(0, 0, 0, 0)
        self.suggested_box.hide()
        column = QtWidgets.QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(self._line(self.frame_list, 1, self.from_selection, self.suggest_button, clear))
        column.addLayout(self._line(self.label, 1, QtWidgets.QLabel("Teach"), self.minutes))
        column.addWidget(self.suggested_box)
        self._show_keys()

    def _button(self, text: str, slot, tip: str) -> QtWidgets.QPushButton:
        button = QtWidgets.QPushButton(text)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    @staticmethod
    def _line(first: QtWidgets.QWidget, stretch: int, *rest: QtWidgets.QWidget) -> QtWidgets.QHBoxLayout:
        line = QtWidgets.QHBoxLayout()
        line.addWidget(first, stretch)
        for widget in rest:
            line.addWidget(widget)
        return line

    # --- the source and its frames --------------------------------------------------------

    def fields(self) -> dict:
        """The panel's key fields (keys.problems and submit.spec_dict read them)."""
        knobs = self.panel.knobs
        return {"key_source": self.source, "key_frames": self.frame_list.text().strip(),
                "plate_range": (knobs.first, knobs.last), "plate_retimed": bool(knobs.frame),
                "teach_minutes": round(self.minutes.value(), 1)}

    def set_source(self, source: dict | None) -> None:
        self.source = source
        is_read = bool(source) and source["kind"] == "read"
        self.frame_list.setReadOnly(is_read)
        if is_read:
            self.frame_list.setText(",".join(str(f) for f in keys.key_frames(source)))
        self._show_keys()

    def choose(self) -> dict | None:
        """From selection: the selected Roto or Read of key mattes becomes the source."""
        try:
            self.set_source(self.key_nodes.selected_source(self.panel.knobs.name, self.panel.project_directory))
        except keys.KeysError as exc:
            self.panel.show_errors([str(exc)], "Cannot take keys")
            return None
        return self.source

    def clear(self) -> None:
        self.set_source(None)
        self.frame_list.clear()

    def _show_keys(self) -> None:
        try:
            frames = keys.key_frames(self.source, self.frame_list.text())
            self.label.setText(html.escape(keys.describe(self.source, frames)))
        except keys.KeysError:
            self.label.setText(f"Keys: cannot read the frames {html.escape(self.frame_list.text())!r}")

    def render(self, fields: dict) -> list[str]:
        """At Submit, after the checks: a Roto's keys rendered to the spec's `keys` pattern (a Read's are on disk)."""
        source = fields.get("key_source")
        if not source or source["kind"] != "roto":
            return []
        if self.key_nodes is None:
            raise keys.KeysError(f"{source['node']} can only be rendered inside Nuke")
        return self.key_nodes.render_roto(source, keys.render_pattern(fields), keys.listed_frames(fields["key_frames"]),
                                          self.panel.knobs.format)

    # --- suggested keys ----------------------------------------------------------------------

    def alpha_pattern(self) -> str:
        """The automatic run's alpha: the last result's, else where this panel's output would hold it."""
        if self.panel.result is not None:
            return self.panel.result["alpha"]
        plate, output = self.panel.plate["plate"], self.panel.output.text().strip()
        return readnode.expected_results(output, plate, "")["alpha"] if plate and output else ""

    def suggest(self) -> background.BackgroundJob | None:
        """Start cmn-matte suggest-keys on OUTPUT/alpha beside the UI and return at once (None: nothing to read
        there yet, or it cannot start); the frames are offered when it ends."""
        alpha = self.alpha_pattern()
        if not alpha or not keys.frames_on_disk(alpha):
            self.panel.show_errors([f"no automatic run in {alpha or 'OUTPUT/alpha'} yet; Submit without keys first, "
                                    "then suggest keys from its matte"], "Cannot suggest keys")
            return None
        environ = os.environ if self.panel.environ is None else self.panel.environ
        matte = keys.matte_command(submit.farm_command(self.panel.settings, environ), environ)
        argv = keys.suggest_argv(matte, alpha, self.panel.frames.text().strip())
        try:
            job = background.BackgroundJob(argv, submit.farm_env(environ), parent=self)
        except OSError as exc:
            self.panel.show_errors([str(exc)], "Cannot suggest keys")
            return None
        job.finished.connect(self._suggested)
        self.suggest_job = job
        self.suggest_button.setEnabled(False)
        self.suggest_button.setText("Suggesting...")
        return job

    def _suggested(self, code: int, out: str, err: str) -> None:
        self.suggest_job = None
        self.suggest_button.setText("Suggest keys")
        self.suggest_button.setEnabled(True)
        try:
            if code != 0:
                raise keys.KeysError((err.strip().splitlines() or [f"exit code {code}"])[-1].strip())
            self.offer(keys.parse_suggestions(out))
        except keys.KeysError as exc:
            self.panel.show_errors([str(exc)], "Cannot suggest keys")

    def offer(self, rows: list[dict]) -> None:
        """One button per suggested frame (its reason as the tooltip) that adds it to the frame list, and Use all."""
        self.suggestions = rows
        while self.suggested.count():
            item = self.suggested.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.suggested.addWidget(QtWidgets.QLabel("Suggested:"))
        for row in rows:
            button = QtWidgets.QPushButton(str(row["frame"]))
            button.setToolTip(f"{row['frame']}: {row['reason']}")
            button.clicked.connect(lambda _=False, frame=row["frame"]: self.use([frame]))
            self.suggested.addWidget(button)
        use_all = self._button("Use all", lambda: self.use([r["frame"] for r in rows], replace=True),
                               "Make the suggested frames the frame list")
        use_all.setEnabled(bool(rows))
        self.suggested.addWidget(use_all)
        self.suggested.addStretch(1)
        self.suggested_box.show()
        listed = ", ".join(str(r["frame"]) for r in rows) or "none: every frame's matte is 0 or 1 and steady"
        self.panel._say(f"Suggested keys: {html.escape(listed)} (hover a frame for why; click it to add it to the "
                        "key frames).")

    def use(self, frames: list[int], replace: bool = False) -> None:
        """Fill the frame list with suggested frames (a Read's keys are its files: say which to render there)."""
        if self.source and self.source["kind"] == "read":
            self.panel._say(f"The keys are {html.escape(self.source['node'])}'s files: render frames "
                            f"{', '.join(map(str, frames))} there, or take keys from a Roto.")
            return
        try:
            have = [] if replace else keys.listed_frames(self.frame_list.text())
        except keys.KeysError:
            have = []
        self.frame_list.setText(",".join(str(f) for f in sorted(set(have) | set(frames))))
