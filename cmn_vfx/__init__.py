"""cmn-vfx: automatic, temporally stable person mattes for VFX pipelines."""
__version__ = "0.1.0"
