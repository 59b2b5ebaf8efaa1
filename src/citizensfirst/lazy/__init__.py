"""Lazy designs: estimates from aggregation queries on rows that stay in DuckDB or Spark.

:mod:`~citizensfirst.lazy.design` (``LazyDesign``), :mod:`~citizensfirst.lazy.structure` (the
cluster table), :mod:`~citizensfirst.lazy.conditions` (subset conditions as SQL),
:mod:`~citizensfirst.lazy.sums` (the aggregation plan) and :mod:`~citizensfirst.lazy.estimators`.
This package imports nothing, so importing one module never starts the others.
"""
