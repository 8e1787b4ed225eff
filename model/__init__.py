"""Sonotag's Qt-free core: audio, clip images, project database, machine learning, CLI logic.

Nothing in this package may import Qt, pyqtgraph or ``app``: the GUI is one client of this code,
the CLI and the tests are others (enforced by ``tests/test_architecture.py``).
"""

__version__ = "0.1.0"
