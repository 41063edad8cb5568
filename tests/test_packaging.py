"""What `pip install .` puts into site-packages: no torch in the base install, no generic top-level
names, the Nuke plugin and its gizmo inside the package (setup.py, setup.cfg)."""
import configparser
import os
import runpy

import setuptools

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _setup_kwargs(monkeypatch) -> dict:
    seen = {}
    monkeypatch.setattr(setuptools, "setup", lambda **kwargs: seen.update(kwargs))
    monkeypatch.chdir(REPO)
    runpy.run_path(os.path.join(REPO, "setup.py"))
    return seen


def _cfg() -> configparser.ConfigParser:
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(REPO, "setup.cfg"))
    return cfg


def test_base_install_has_no_torch_and_no_unused_openexr():
    base = _cfg()["options"]["install_requires"].split()
    assert not {"torch", "torchvision", "OpenEXR"} & set(base)
    assert {"openvino", "onnxruntime", "OpenImageIO", "opencolorio", "ai-edge-litert"} <= set(base)
    extras = _cfg()["options.extras_require"]
    assert "torch" in extras["torch"].split() and "torch" in extras["training"].split()
    assert "qtpy" in extras["nuke"].split()


def test_installed_names_are_under_the_project_namespace(monkeypatch):
    kwargs = _setup_kwargs(monkeypatch)
    tops = {p.split(".")[0] for p in kwargs["packages"]}
    assert tops == {"cmn_vfx", "cmn_vfx_farm", "cmn_vfx_training", "cmn_vfx_nuke"}
    assert kwargs["package_dir"] == {"cmn_vfx_farm": "farm", "cmn_vfx_training": "training",
                                     "cmn_vfx_nuke": "nuke_plugin", "cmn_vfx_nuke.gizmos": "gizmos"}
    for package in kwargs["packages"]:
        folder = kwargs["package_dir"].get(package.split(".")[0], package.split(".")[0])
        rest = package.split(".")[1:] if package != "cmn_vfx_nuke.gizmos" else []
        path = kwargs["package_dir"].get(package) or os.path.join(folder, *rest)
        assert os.path.isdir(os.path.join(REPO, path)), package


def test_the_gizmo_and_the_farm_template_are_package_data():
    data = _cfg()["options.package_data"]
    assert data["cmn_vfx_nuke.gizmos"].strip() == "*.gizmo" and os.path.isfile(os.path.join(REPO, "gizmos",
                                                                                              "CMN_Matte.gizmo"))
    assert "templates/*.yaml" in data["cmn_vfx_farm"]
    entry = _cfg()["options.entry_points"]["console_scripts"]
    assert "cmn_vfx_farm.cli:main" in entry and "cmn_vfx_training.cli:main" in entry
