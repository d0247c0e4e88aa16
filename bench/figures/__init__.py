"""The figures of issue 6, one module per figure, each named by its key (``--only KEY``).

Each module's figure function takes the :class:`bench.figure.Bench` and returns a
:class:`bench.figure.Figure`; ``bench/run.py`` runs them in its ``ORDER``. What they share:
``bench/figure.py`` (sizes, Bench, Figure), ``bench/harness.py`` (statistics, the worker process,
the incidents' inputs), ``bench/waits.py`` (bounded waits on the incidents) and
``bench/side_by_side.py`` (the bare baseline and the incidents measured side by side).
"""
