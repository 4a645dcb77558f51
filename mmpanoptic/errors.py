"""Errors that a user acts on: the tools print them as one line ``error: <file or key>: <problem> (<fix>)``.

This module imports nothing heavy, so that the command-line tools can recognise these errors without
importing torch first.
"""


class UserError(Exception):
    """Base of every error caused by the user's input (a config, a data file, a checkpoint, a flag).

    The message names the file or the config key, says what is wrong and, in parentheses, what to do.
    """


class ConfigError(UserError, ValueError):
    """A config cannot run as written; the message names the file and the key."""


class DataError(UserError, ValueError):
    """A dataset file (annotation JSON, image, ground-truth PNG, prediction file) is wrong; the message names
    the file."""
