"""Exceptions that describe bad user input, as opposed to bugs."""


class InvalidInputError(ValueError):
    """A request value that is out of range, of the wrong type or too long, named in the message."""
