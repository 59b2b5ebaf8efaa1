"""Backends for designs whose rows live outside memory: DuckDB (embedded) and Spark.

See :mod:`citizensfirst.backends.base` for the interface.
"""
