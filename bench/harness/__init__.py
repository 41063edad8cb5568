"""What the bench entries share: engine.py (every engine the bench builds), plates.py (suite clips as
EXR plates), metrics.py (MAD, dtSSD, flicker, people found), report.py (per-category JSON, tables, contact
sheets). Nothing here is run directly."""
