"""What of a client's own input the API repeats back, in answers and in its log: a few dozen
characters at most, and saying so when it was cut.

A client chooses the length of what it sends (an article id in the path, an event id, a query
string), so repeating it whole would let it size our answers and log lines as it likes (issue 27:
a 10,000-character id came back whole in the 404 and in the log). Pure: no I/O.
"""

ECHOED_CHARS = 80
LOGGED_PATH_CHARS = 200


def echoed(text: str, limit: int = ECHOED_CHARS) -> str:
    """`text` as a Python literal (quotes, escapes: no line breaks or control characters reach
    a log line), cut to its first `limit` characters with a note of its full length."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text):,} characters, cut to {limit})"


def logged_path(path: str) -> str:
    """A request's path for a log line: whole when short, else its start and its length."""
    if len(path) <= LOGGED_PATH_CHARS:
        return path
    return f"{path[:LOGGED_PATH_CHARS]}… ({len(path):,} characters)"
