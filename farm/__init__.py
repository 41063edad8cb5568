"""Render-farm jobs for shots: Open Job Description template, chunk plans, submit backends, status.

See docs/farm.md. Nothing here imports numpy or torch at module level.
"""
