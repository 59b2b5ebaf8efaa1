"""The survey design: its construction, variance kernel, replicates, groups and domains.

The public class is :class:`citizensfirst.Design` (module :mod:`citizensfirst.design.facade`);
this package init stays light and imports nothing.
"""
