"""`python -m cmn_vfx_nuke`: print the folder to put on NUKE_PATH (this package's own folder)."""
import os

print(os.path.dirname(os.path.abspath(__file__)))
