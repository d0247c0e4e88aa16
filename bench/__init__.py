"""Benchmarks of the incident workflow against a bare Temporal baseline, measured in the same run.

    python -m bench            # every figure of issue 6, about 12 minutes on 2 cores
    python -m bench --quick    # tiny sizes, seconds: proves the harness works, measures nothing

Each figure is a module of ``bench/figures/`` saying what it measures; ``bench/run.py`` runs them.
See the README's "Performance" section for the results.
"""
