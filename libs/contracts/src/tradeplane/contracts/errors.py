"""The base of errors that carry a code a caller can act on, beside the message a person reads."""

from __future__ import annotations

from typing import Generic, TypeVar

C = TypeVar("C", bound=str)


class CodedError(Exception, Generic[C]):
    """An error with its machine-readable `code` and human `message`; `str()` reads `CODE: message`."""

    def __init__(self, code: C, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
