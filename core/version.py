"""The version of NeuroCanvas (the engine, the application and the file format's app_version): one place."""

__version__ = "0.1.0"
