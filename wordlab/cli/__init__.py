"""The ``wordlab`` command line."""
