"""The GUI of machine learning: training panel, model list, score tracks, prediction jobs.

This package's ``__init__`` imports nothing, because worker processes import
``app.ml.worker_jobs`` and must not pay for Qt or pyqtgraph on the way.
"""
