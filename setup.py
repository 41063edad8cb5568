"""cmn-vfx: automatic, temporally stable person mattes for VFX pipelines.

Declarative set-up: everything lives in setup.cfg; this file only calls setup().
"""
from setuptools import setup

setup()
