"""The Monte Carlo kernel (numba): salvos sampled and flown through the defences.

Modules, each one concern:

- :mod:`~forceprot.kernel.bundles`: the named bundles of arrays the kernel takes (scenario
  inputs, tallies, story, per-block scratch) and the layout constants;
- :mod:`~forceprot.kernel.tally`: named columns of the streamed tallies;
- :mod:`~forceprot.kernel.sample`: everything random about a salvo, in a fixed order;
- :mod:`~forceprot.kernel.salvo`: the stages of one salvo (lay, fly, impact, detect and
  windows, kill draws, threat order, timelines, credit), which tests and the profiler call too;
- :mod:`~forceprot.kernel.record`: one salvo's outcomes added to the tallies and the story;
- :mod:`~forceprot.kernel.blocks`: the one ``prange``, over blocks of salvos.

This package's ``__init__`` imports nothing, so reading the tally layout does not load numba.
"""
