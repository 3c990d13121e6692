"""Exceptions that describe bad user input, as opposed to bugs."""


class InvalidInputError(ValueError):
    """A request value is out of range, of the wrong type or too long; the message says which."""
