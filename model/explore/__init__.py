"""The clip explorer without Qt: every clip of a project on a 2-D map, clusters, and "find
similar".

The study Sonotag follows built its training set this way: embed every clip with the backbone,
project the embeddings to 2-D with UMAP, look at the groups and label them in bulk. Here:

- ``grid``: which clips (the project's scored windows: clip length and hop of its geometry);
- ``embeddings``: their backbone vectors, from the feature cache, computed where missing;
- ``projection``: PCA, then UMAP to 2-D, HDBSCAN clusters, ``transform`` for new clips;
- ``store``: the map kept beside the project (``<project>-cache/explore/``), per backbone and
  clip settings, so reopening is instant;
- ``similar``: exact cosine nearest clips in NumPy;
- ``table`` and ``report``: per-clip label states, scores, hours; ``clips.csv`` and ``map.png``;
- ``job``: all of it as one cancellable job with progress (GUI worker, CLI).

UMAP is imported lazily (numba compiles its layout on first use: tens of seconds), so nothing
here costs anything until a map is actually computed.
"""
