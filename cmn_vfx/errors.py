"""Errors a user can cause: CMNError, BadInputError, PartialFailure and `warn`.

Defined in cmn_vfx/job/errors.py (the bottom layer, which Nuke gets as a whole copy); this is the
name the rest of cmn_vfx imports them by.
"""
from cmn_vfx.job.errors import BadInputError, CMNError, PartialFailure, warn

__all__ = ["BadInputError", "CMNError", "PartialFailure", "warn"]
