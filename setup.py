"""cmn-vfx: automatic, temporally stable person mattes for VFX pipelines.

Everything else lives in setup.cfg. Here: which folders install under which names. The repository
keeps its layout (farm/, training/, nuke_plugin/, gizmos/), but site-packages gets no generic
top-level names: farm -> cmn_vfx_farm, training -> cmn_vfx_training, nuke_plugin -> cmn_vfx_nuke
(with the gizmos in cmn_vfx_nuke/gizmos, so NUKE_PATH can point at the installed cmn_vfx_nuke).
"""
from setuptools import find_packages, setup

FOLDERS = {"cmn_vfx": "cmn_vfx", "cmn_vfx_farm": "farm", "cmn_vfx_training": "training",
           "cmn_vfx_nuke": "nuke_plugin", "cmn_vfx_nuke.gizmos": "gizmos"}

packages = []
for name, folder in FOLDERS.items():
    packages.append(name)
    if name != "cmn_vfx_nuke.gizmos":
        packages += [f"{name}.{sub}" for sub in find_packages(folder)]

setup(packages=packages, package_dir={name: folder for name, folder in FOLDERS.items() if name != folder})
