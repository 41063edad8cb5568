"""The "CMN Matte Shot" panel (Qt through qtpy: PySide2 in Nuke 13-15, PySide6 in 16+).

Shows the plate of the selected Read node, lets the artist check the settings, and on
Submit validates, writes the shot spec and starts `cmn-farm submit` beside the UI
(background.py): a progress line, Cancel, then the job id and the status command. All
decisions are in submit.py and readnode.py; this file is layout and wiring.
"""
from __future__ import annotations

import html
from typing import Callable

from qtpy import QtCore, QtWidgets

from . import background, keynodes, keys, keys_row, pick, readnode, submit

DOWNSAMPLE_CHOICES = ("auto", "1.0", "0.5", "0.25")
PRIOR_OWN = "auto (model's own)"   # no override: the spec's prior stays empty
SUBJECT_CHOICES = (pick.ALL, pick.MAIN)   # or picks typed / added with the pick buttons
OK_COLOUR, ERROR_COLOUR, HINT_COLOUR = "#8fd18f", "#ff8a80", "#9a9a9a"


class MattePanel(QtWidgets.QWidget):
    """One panel per plate. `on_load(result)` is injected so tests (and other hosts) can replace
    the node graph (the farm command is CMN_FARM in `environ`, or the settings'); so are the two pick sources (nodes.py reads them from Nuke):
      viewer_sample() -> {"bbox": (u0, v0, u1, v1) the Viewer's normalised colour sample,
                          "format": (width, height, pixel_aspect) of the viewed image or None,
                          "frame": the plate frame shown}
      roto_sample()   -> {"points": [(x, y), ...] the selected shape's points in Nuke pixels, "frame": ...}
    Either may raise pick.PickError / submit.SubmitError with a message for the artist; a
    missing source disables its button, as a missing `key_nodes` (keynodes.py) does the Keys row's (keys_row.py)."""

    def __init__(self, knobs: readnode.ReadKnobs, project_directory: str = "",
                 settings_path: str | None = None,
                 environ: dict | None = None, on_load: Callable[[dict], object] | None = None,
                 viewer_sample: Callable[[], dict] | None = None, roto_sample: Callable[[], dict] | None = None,
                 key_nodes=None, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setWindowFlags(self.windowFlags() | QtCore.Qt.Window)
        self.setWindowTitle(f"CMN Matte Shot - {knobs.name}")
        self.setObjectName("CMNMattePanel")
        self.knobs, self.project_directory = knobs, project_directory
        self.job: background.BackgroundJob | None = None
        self.cancel_grace = background.CANCEL_GRACE_S
        self.environ = environ
        self.on_load = on_load
        self.viewer_sample, self.roto_sample, self.key_nodes = viewer_sample, roto_sample, key_nodes
        self.settings_path = settings_path or submit.settings_path(environ)
        self.settings = submit.load_settings(self.settings_path)
        self.result: dict | None = None
        try:
            self.plate = readnode.spec_values(knobs, project_directory)
        except ValueError as exc:
            self.plate = {"plate": "", "frames": "", "name": "", "colorspace": "auto", "layer": "", "error": str(exc)}
        self._build()
        if "error" in self.plate:
            self.show_errors([f"Plate: {self.plate['error']}"])

    def _build(self) -> None:
        layout = QtWidgets.QVBoxLayout(self)
        title = QtWidgets.QLabel(f"<b style='font-size:14pt'>CMN Matte Shot</b>"
                                 f"&nbsp;&nbsp;<span style='color:#999'>{html.escape(self.knobs.name)}</span>")
        layout.addWidget(title)
        layout.addWidget(self._plate_box())
        layout.addWidget(self._settings_box())
        self.message = QtWidgets.QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        self.message.setMinimumHeight(56)
        self.message.setAlignment(QtCore.Qt.AlignTop | QtCore.Qt.AlignLeft)
        self.message.setStyleSheet("QLabel#message { background: rgba(0, 0, 0, 60); border: 1px solid "
                                   "rgba(255, 255, 255, 25); border-radius: 3px; padding: 6px; }")
        self.message.setText(f"<span style='color:{HINT_COLOUR}'>Submit checks the settings, writes the shot "
                             "spec into the output folder and sends the job to the farm.<br>Results land in "
                             "OUTPUT/alpha (raw alpha) and OUTPUT/fg (premultiplied, scene-linear).</span>")
        layout.addWidget(self.message)
        self.progress = QtWidgets.QLabel()
        self.progress.setObjectName("progress")
        self.progress.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        layout.addWidget(self.progress)
        layout.addLayout(self._buttons())
        self.resize(620, self.sizeHint().height())

    def _say(self, text: str) -> None:
        """Show `text` in the message box; the panel grows to fit it instead of squashing the rows above."""
        self.message.setText(text)
        self.resize(self.width(), max(self.height(), self.sizeHint().height()))

    def _info(self, text: str) -> QtWidgets.QLabel:
        label = QtWidgets.QLabel(text)
        label.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        label.setWordWrap(True)
        return label

    def _plate_box(self) -> QtWidgets.QGroupBox:
        knobs = self.knobs
        box = QtWidgets.QGroupBox("Plate")
        form = QtWidgets.QFormLayout(box)
        form.addRow("File", self._info(self.plate["plate"] or knobs.file))
        form.addRow("Range", self._info(f"{readnode.format_range(knobs.first, knobs.last)}   "
                                        f"(on disk {readnode.format_range(knobs.origfirst, knobs.origlast)})"))
        form.addRow("Format", self._info(readnode.describe_format(knobs)))
        space = knobs.colorspace or "default"
        if self.plate["colorspace"] != space:
            space += f"   ->  {self.plate['colorspace']}"
        form.addRow("Colourspace", self._info(space))
        return box

    def _settings_box(self) -> QtWidgets.QGroupBox:
        settings = self.settings
        box = QtWidgets.QGroupBox("Settings")
        form = QtWidgets.QFormLayout(box)
        self.frames = QtWidgets.QLineEdit(self.plate["frames"])
        self.frames.setToolTip("Frames to matte, in the plate's frame numbers: FIRST-LAST")
        form.addRow("Frames", self.frames)
        self.layer = QtWidgets.QLineEdit(self.plate["layer"])
        self.layer.setPlaceholderText("rgba")
        self.layer.setToolTip("Layer holding the plate's R, G, B (from the Read's channels): e.g. plate for "
                              "plate.R, plate.G, plate.B; empty = rgba")
        form.addRow("Layer", self.layer)
        form.addRow("Subject", self._subject_row())
        self.output = QtWidgets.QLineEdit(readnode.default_output(self.plate["plate"]) if self.plate["plate"] else "")
        self.output.setToolTip("Results land in OUTPUT/alpha and OUTPUT/fg; default: a 'cmn' folder "
                               "beside the plate's folder")
        browse = QtWidgets.QPushButton("Browse...")
        browse.clicked.connect(self._browse)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.output, 1)
        row.addWidget(browse)
        form.addRow("Output folder", row)
        self.keys = keys_row.KeysRow(self, self.key_nodes)
        form.addRow("Keys", self.keys)
        self.model = QtWidgets.QComboBox()
        self.model.setEditable(True)
        self.model.addItems(sorted({"default", str(settings["model"])}))
        self.model.setCurrentText(str(settings["model"]))
        self.model.setToolTip("A bundled model name or the path of a checkpoint (.pt)")
        form.addRow("Model", self.model)
        self.backend = QtWidgets.QComboBox()
        self.backend.addItems(list(submit.BACKENDS))
        self.backend.setCurrentText(str(settings["backend"]))
        form.addRow("Backend", self.backend)
        self.chunk_size = QtWidgets.QSpinBox()
        self.chunk_size.setRange(1, 100000)
        self.chunk_size.setSuffix(" frames per task")
        self.chunk_size.setValue(int(settings["chunk_size"] or 10))
        form.addRow("Chunk size", self.chunk_size)
        self.warmup = QtWidgets.QSpinBox()
        self.warmup.setRange(-1, 1000)
        self.warmup.setSpecialValueText("engine default")
        self.warmup.setSuffix(" frames before each chunk")
        self.warmup.setValue(-1 if settings["warmup"] is None else int(settings["warmup"]))
        form.addRow("Warm-up", self.warmup)
        self.downsample = QtWidgets.QComboBox()
        self.downsample.setEditable(True)
        self.downsample.addItems(list(DOWNSAMPLE_CHOICES))
        self.downsample.setCurrentText(str(settings["downsample"]))
        self.downsample.setToolTip("Working resolution ratio for the network: auto or 0 < r <= 1")
        form.addRow("Downsample", self.downsample)
        self.prior = QtWidgets.QComboBox()
        self.prior.addItems([PRIOR_OWN, *(name for name in submit.PRIORS if name != "auto")])
        self.prior.setCurrentIndex(max(0, self.prior.findText(str(settings["prior"]))))
        self.prior.setToolTip("The person prior the model is given. auto: the model's own (people: every "
                              "person, tracked through the shot).\n"
                              "consensus_landscape: the previous default (one person, found by the face).\n"
                              "Models without a prior refuse any other choice (the farm job fails).")
        form.addRow("Person prior", self.prior)
        self.temporal = QtWidgets.QDoubleSpinBox()
        self.temporal.setRange(0.0, 0.95)
        self.temporal.setSingleStep(0.05)
        self.temporal.setDecimals(2)
        self.temporal.setSpecialValueText("off")
        self.temporal.setValue(float(settings.get("temporal", submit.DEFAULT_TEMPORAL)))
        self.temporal.setToolTip("Each frame's matte is blended with the last one, moved by the optical flow, where "
                                 "the picture matches it: steadier edges on real footage. 0 = off; higher = "
                                 f"steadier, with a longer memory (default {submit.DEFAULT_TEMPORAL}).")
        form.addRow("Temporal steadiness", self.temporal)
        return box

    def _subject_row(self) -> QtWidgets.QVBoxLayout:
        """all (default) | main | picks: typed, or added from the Viewer / a Roto shape. Picks are
        per shot: never remembered, every panel starts at all."""
        self.subject = QtWidgets.QComboBox()
        self.subject.setEditable(True)
        self.subject.addItems(list(SUBJECT_CHOICES))
        self.subject.setCurrentText(pick.ALL)
        self.subject.setToolTip("Which person to matte. all: every person. main: the largest, most central "
                                "person, held through the shot.\nA pick x,y@frame (or a box x0,y0,x1,y1@frame) "
                                "in plate pixels, x right and y DOWN from the top-left corner: the person there, "
                                "followed through the shot. Several picks: join them with ;")
        self.pick_viewer = QtWidgets.QPushButton("Pick from Viewer")
        self.pick_viewer.setToolTip("Ctrl+click the person in the Viewer (ctrl+shift+drag for a box) on the "
                                    "current frame, then press this: adds that point as a pick")
        self.pick_viewer.setEnabled(self.viewer_sample is not None)
        self.pick_viewer.clicked.connect(self.pick_from_viewer)
        self.pick_roto = QtWidgets.QPushButton("From Roto")
        self.pick_roto.setToolTip("Select a Roto node and a shape on the person: adds the centre of the "
                                  "shape on the current frame (its bounding box with 'as box')")
        self.pick_roto.setEnabled(self.roto_sample is not None)
        self.pick_roto.clicked.connect(self.pick_from_roto)
        self.roto_box = QtWidgets.QCheckBox("as box")
        self.roto_box.setToolTip("From Roto adds the shape's bounding box instead of its centre")
        clear = QtWidgets.QPushButton("Clear")
        clear.setToolTip("Back to all (every person)")
        clear.clicked.connect(self.clear_subject)
        buttons = QtWidgets.QHBoxLayout()
        for widget in (self.pick_viewer, self.pick_roto, self.roto_box):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        buttons.addWidget(clear)
        column = QtWidgets.QVBoxLayout()
        column.addWidget(self.subject)
        column.addLayout(buttons)
        return column

    def _buttons(self) -> QtWidgets.QHBoxLayout:
        row = QtWidgets.QHBoxLayout()
        self.load_button = QtWidgets.QPushButton("Load Results")
        self.load_button.setEnabled(False)
        self.load_button.clicked.connect(self.load_results)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running cmn-farm and its children (a local job keeps its "
                                      "finished frames; a new Submit skips them)")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        close = QtWidgets.QPushButton("Close")
        close.setToolTip("Close the panel; a job still running is cancelled")
        close.clicked.connect(self.close)
        self.submit_button = QtWidgets.QPushButton("Submit")
        self.submit_button.setDefault(True)
        self.submit_button.clicked.connect(self.submit)
        row.addWidget(self.load_button)
        row.addStretch(1)
        row.addWidget(self.cancel_button)
        row.addWidget(close)
        row.addWidget(self.submit_button)
        return row

    def _browse(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Output folder", self.output.text())
        if folder:
            self.output.setText(folder)

    def add_pick(self, text: str) -> None:
        self.subject.setCurrentText(pick.add_pick(self.subject.currentText(), text))
        self._say(f"<span style='color:{OK_COLOUR}'>Picked {html.escape(text)} "
                             "(plate pixels, y down from the top).</span>")

    def clear_subject(self) -> None:
        self.subject.setCurrentText(pick.ALL)

    def _pick(self, source: Callable[[], dict] | None, convert: Callable[[dict], str]) -> str | None:
        if source is None:
            return None
        try:
            text = convert(source())
        except (pick.PickError, submit.SubmitError) as exc:
            self.show_errors([str(exc)], "Cannot pick")
            return None
        self.add_pick(text)
        return text

    def pick_from_viewer(self) -> str | None:
        """Add the Viewer's colour-sample point (ctrl+click) on the current frame as a pick."""
        width, height, aspect = self.knobs.format[:3]
        return self._pick(self.viewer_sample, lambda s: pick.viewer_pick(
            s["bbox"], s.get("format"), (width, height, aspect), int(s["frame"])))

    def pick_from_roto(self) -> str | None:
        """Add the selected Roto shape's centre (or box) on the current frame as a pick."""
        width, height = self.knobs.format[:2]
        return self._pick(self.roto_sample, lambda s: pick.roto_pick(
            s["points"], width, height, int(s["frame"]), as_box=self.roto_box.isChecked()))

    def fields(self) -> dict:
        return {**self.plate, "frames": self.frames.text().strip(), "output": self.output.text().strip(),
                "layer": self.layer.text().strip(),
                "model": self.model.currentText().strip(), "backend": self.backend.currentText(),
                "chunk_size": self.chunk_size.value(),
                "warmup": None if self.warmup.value() < 0 else self.warmup.value(),
                "downsample": self.downsample.currentText().strip(),
                "prior": None if self.prior.currentIndex() == 0 else self.prior.currentText(),
                "temporal": round(self.temporal.value(), 2),
                "subject": self.subject.currentText().strip(), **self.keys.fields()}

    def show_errors(self, errors: list[str], title: str = "Cannot submit") -> None:
        items = "".join(f"<li>{html.escape(e)}</li>" for e in errors)
        self._say(f"<span style='color:{ERROR_COLOUR}'><b>{title}:</b><ul style='margin:0'>"
                             f"{items}</ul></span>")

    def show_result(self, result: dict) -> None:
        done = "Done" if result["backend"] == "local" else "Submitted"
        lines = [f"<b>{done}</b>: job <b>{html.escape(str(result['job_id']))}</b> "
                 f"({html.escape(str(result['backend']))}), frames {html.escape(str(result['frames']))}",
                 f"status: <code>{html.escape(str(result.get('status', '')))}</code>",
                 f"alpha: {html.escape(result['alpha'])}", f"fg: {html.escape(result['fg'])}",
                 f"spec: {html.escape(result.get('spec', ''))}"]
        if result.get("log"):
            lines.append(f"log: {html.escape(str(result['log']))}")
        self._say(f"<span style='color:{OK_COLOUR}'>{'<br>'.join(lines)}</span>")

    def submit(self) -> background.BackgroundJob | None:
        """Validate, write the spec, start cmn-farm beside the UI and return at once: the running
        job (None: errors shown). `job_done` shows the result or the error when it ends."""
        if self.job is not None:
            return None
        farm = submit.farm_command(self.settings, self.environ)
        fields = self.fields()
        errors = submit.validate(fields, farm, self.environ)
        if errors:
            self.show_errors(errors)
            return None
        spec = submit.spec_dict(fields)
        try:
            self.keys.render(fields)                 # a Roto's keys, rendered by Nuke to the spec's `keys`
            path = submit.write_spec(spec, submit.spec_file(spec))
            argv = submit.submit_argv(farm, path, fields["backend"])
            job = background.BackgroundJob(argv, submit.farm_env(self.environ), parent=self)
        except (OSError, keys.KeysError) as exc:   # keys or the spec cannot be written, cmn-farm cannot start
            self.show_errors([str(exc)])
            return None
        job.line.connect(self.show_progress)
        job.finished.connect(lambda code, out, err: self.job_done(code, out, err, fields, farm, path))
        self.job = job
        self.result = None
        self._running(True)
        self._say(f"<span style='color:{HINT_COLOUR}'>Running <code>{html.escape(' '.join(argv))}"
                             f"</code> (pid {job.pid}); Nuke stays free, Cancel stops it.</span>")
        return job

    def show_progress(self, text: str) -> None:
        line = submit.progress_line(text)
        if line is not None:
            self.progress.setText(html.escape(line if len(line) <= 160 else line[:157] + "..."))

    def cancel(self) -> None:
        """Stop the running job and its children (SIGTERM, SIGKILL after cancel_grace s); returns at once."""
        if self.job is not None and not self.job.cancelled:
            self.job.cancel(self.cancel_grace)
            self.cancel_button.setEnabled(False)
            self.progress.setText("Cancelling...")

    def job_done(self, code: int, out: str, err: str, fields: dict, farm: list[str], spec_path: str) -> None:
        cancelled, self.job = self.job is not None and self.job.cancelled, None
        self._running(False)
        if cancelled:
            self.progress.setText("")
            self.show_errors(["the job was stopped. A local job keeps the frames it wrote and a new Submit "
                              "skips them; a job the farm had already accepted stays on the farm."], "Cancelled")
            return
        try:
            result = submit.finish(code, out, err, farm, spec_path)
        except submit.SubmitError as exc:
            self.show_errors([str(exc)])
            return
        self.result = result
        self.show_result(result)
        self.load_button.setEnabled(self.on_load is not None)
        self._remember(fields, result)
        if result["backend"] == "local":   # the frames are on disk: load them as today's Load Results would
            self.load_results()

    def _running(self, running: bool) -> None:
        self.submit_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if running:
            self.load_button.setEnabled(False)
            self.progress.setText("Starting...")

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Closing the panel cancels a running job (its tree is stopped and reaped off the UI thread)."""
        if self.job is not None:
            self.job.cancel(self.cancel_grace)
        super().closeEvent(event)

    def _remember(self, fields: dict, result: dict) -> None:
        remembered = ("model", "chunk_size", "warmup", "downsample", "prior", "temporal", "backend")
        self.settings.update({k: fields[k] for k in remembered})
        submit.remember_job(self.settings, fields["plate"], result)
        try:
            submit.save_settings(self.settings_path, self.settings)
        except OSError as exc:   # the job is submitted; only the memory of it failed
            self._say(self.message.text() + f"<br>(settings not saved: {html.escape(str(exc))})")

    def load_results(self):
        if self.result is not None and self.on_load is not None:
            return self.on_load(self.result)
        return None


def show(knobs: readnode.ReadKnobs, project_directory: str = "", parent=None, **kwargs) -> MattePanel:
    """Open the panel as a window over Nuke's main window (kept alive by its Qt parent)."""
    parent = parent or QtWidgets.QApplication.activeWindow()
    panel = MattePanel(knobs, project_directory, parent=parent, **{"key_nodes": keynodes, **kwargs})
    panel.setAttribute(QtCore.Qt.WA_DeleteOnClose)
    panel.show()
    panel.raise_()
    return panel
