"""File names as text, losslessly: what a message or a reason file says a dropped file was called.

A POSIX file name is bytes, and not always UTF-8 (a file from an old system, a zip made on
Windows). Messages are JSON, so names travel as text under one reversible rule:

- the bytes are read as UTF-8;
- a byte that is not part of valid UTF-8 is written `\\xNN` (two lower-case hex digits);
- a backslash is written `\\\\`, so that `\\x` in a name never reads as an escape.

`a/caf\\xe9.txt` is thus the Latin-1 name `café.txt` in folder `a`, and `name_bytes` gives the
exact bytes back, so a later stage's verdict finds the very file. Control characters (a newline
in a name is legal) stay as they are here: JSON escapes them, and logs escape them on their own.
"""

import re

_ESCAPE = re.compile(rb"\\\\|\\x([0-9a-f]{2})")


def escaped_name(name: bytes) -> str:
    """The text that stands for the file name `name` (see the module's rule)."""
    return name.replace(b"\\", b"\\\\").decode("utf-8", "backslashreplace")


def name_bytes(escaped: str) -> bytes:
    """The file name that `escaped_name` wrote as `escaped`."""
    return _ESCAPE.sub(
        lambda match: bytes([int(match[1], 16)]) if match[1] else b"\\",
        escaped.encode("utf-8", "surrogateescape"),
    )
