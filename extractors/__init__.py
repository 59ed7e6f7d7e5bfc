"""Pure extraction functions: text in, records out. No I/O beyond the package's own data files, no Prefect."""

__version__ = "0.1.0"
