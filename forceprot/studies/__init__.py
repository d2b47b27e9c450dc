"""Studies: what a planner asks of the kernel, each returning data and writing no file.

- :mod:`~forceprot.studies.compare`: two layouts on the same salvos (common random numbers);
- :mod:`~forceprot.studies.coverage`: P(intercept) of a rocket aimed at each cell of the base;
- :mod:`~forceprot.studies.sweep`: a grid of scenario variants;
- :mod:`~forceprot.studies.optimize`: where the next defences should go;
- :mod:`~forceprot.studies.origin`: where a salvo came from, given its impact points;
- :mod:`~forceprot.studies.executors`: where their Monte Carlo tasks run (in-process or on
  dask.distributed), with identical results either way.

Every file, plot and table a study's result becomes is written by :mod:`forceprot.outputs`.
This ``__init__`` imports nothing, so importing one study does not import the others.
"""
