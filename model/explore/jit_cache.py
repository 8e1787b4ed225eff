"""numba's compiled code for UMAP kept on disk, so the compile is paid once per install.

umap-learn compiles its layout code with numba the first time in every process (tens of
seconds on a small machine) and asks numba to keep almost none of it: its functions are not
declared ``cache=True``. numba can still keep them: a dispatcher given a cache writes what it
compiles to ``NUMBA_CACHE_DIR`` and later processes load it (numba checks the source file's
time stamp and the CPU, and compiles again when either changed). The folder is Sonotag's user
cache (``model.cache_dir``), beside the other things it can always recompute.

Functions numba refuses to cache (ones that take other functions as arguments) stay compiled
per process; the map avoids the one that mattered, pynndescent's neighbour search
(``model.explore.landmarks``).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

PACKAGES = ("umap", "pynndescent")
_done: set[str] = set()  # packages whose functions were given a cache in this process


def cache_folder() -> Path:
    from model.cache_dir import user_cache

    return user_cache() / "numba"


def enable(packages: tuple[str, ...] = PACKAGES) -> int:
    """Gives every numba function of the imported ``packages`` a cache in the user's cache
    folder; returns how many. Does nothing (0) when the folder cannot be made: the map is
    then only slower to start. Packages already done in this process are skipped."""
    packages = tuple(p for p in packages if p not in _done and p in sys.modules)
    if not packages:
        return 0
    import numba
    from numba.core.dispatcher import Dispatcher

    folder = cache_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return 0
    numba.config.CACHE_DIR = str(folder)
    count = 0
    for name, module in list(sys.modules.items()):
        if module is None or not any(name == p or name.startswith(p + ".") for p in packages):
            continue
        for value in list(vars(module).values()):
            if not isinstance(value, Dispatcher):
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    value.enable_caching()
            except RuntimeError:  # no source file to key the cache on (a frozen app)
                continue
            count += 1
    _done.update(packages)
    return count
