"""The secret the API signs its cursors with: `NEWSWIRE_API_CURSOR_SECRET` when set (several API
processes behind one address must share it), else one generated once into the data directory
(`api-cursor-secret`, readable by its owner only) and reused by every later start, so cursors
outlive a restart. When that file can be neither read nor written, a secret lives in memory for
this process alone and cursors end with it (said once in the log)."""

import contextlib
import logging
import os
import secrets
from pathlib import Path

from newswire.settings import Settings

log = logging.getLogger(__name__)

SECRET_FILE = "api-cursor-secret"
SECRET_BYTES = 32


def cursor_secret(settings: Settings) -> bytes:
    if settings.api_cursor_secret is not None:
        return settings.api_cursor_secret.get_secret_value().encode()
    path = settings.data_dir / SECRET_FILE
    try:
        return _read_or_create(path)
    except OSError as error:
        log.warning(
            "cursor secret: cannot keep one in the data directory (%s); cursors last until this "
            "process stops (set NEWSWIRE_API_CURSOR_SECRET to keep them longer)",
            error.strerror or type(error).__name__,
        )
        return secrets.token_bytes(SECRET_BYTES)


def _read_or_create(path: Path) -> bytes:
    """The secret in `path`, written first if absent. It is written whole to a file of its own,
    then linked into place (which fails if the name exists): two processes racing agree on one,
    and none ever reads a half-written file."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_bytes(SECRET_BYTES).hex())
                file.flush()
                os.fsync(file.fileno())
            # FileExistsError: another process was first, and its secret is the one.
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            draft.unlink(missing_ok=True)
    try:
        secret = bytes.fromhex(path.read_text().strip())
    except ValueError:
        secret = b""
    if len(secret) < 16:
        raise OSError(0, f"{path.name} holds no secret")
    return secret
