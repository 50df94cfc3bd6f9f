"""API keys, kept only as digests: `sha256:<hex>` of each key, from the settings
(`NEWSWIRE_API_KEY_HASHES`) or a file (`NEWSWIRE_API_KEYS_FILE`, one digest per line, `#`
comments). Keys are long random tokens (`newswire api-key` makes one), so a fast hash is enough:
a digest read from a leaked configuration admits nothing. /metrics has keys of its own when
`NEWSWIRE_API_METRICS_KEY_HASHES` is set (a scraper's key reads no articles, nor the reverse).
No digest configured anywhere: every request is admitted, as before (local use)."""

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from newswire.settings import Settings

_DIGEST = re.compile(r"(?:sha256:)?([0-9a-f]{64})")
METRICS_PATH = "/metrics"


class InvalidKeyDigestError(ValueError):
    """A configured digest is not `sha256:` and 64 hex digits."""


@dataclass(frozen=True)
class ApiKeys:
    searching: frozenset[bytes]
    metrics: frozenset[bytes]

    @classmethod
    def from_settings(cls, settings: Settings) -> "ApiKeys":
        listed = list(settings.api_key_hashes)
        if settings.api_keys_file is not None:
            listed += _digests_in(settings.api_keys_file)
        return cls(_parsed(listed), _parsed(settings.api_metrics_key_hashes))

    @property
    def configured(self) -> bool:
        return bool(self.searching or self.metrics)

    def admits(self, path: str, token: str | None) -> bool:
        """Whether a request for `path` with this bearer token may go on."""
        required = self._required(path)
        if not required:
            return True
        if token is None:
            return False
        presented = hashlib.sha256(token.encode()).digest()
        return any(hmac.compare_digest(presented, digest) for digest in required)

    def client(self, path: str, token: str | None) -> str | None:
        """The client a request admitted with this token is, for per-client limits: its key
        (the start of the key's digest), when `path` needs one; else None (the client is its
        address: a key nobody checks could be made up anew for every request)."""
        if token is None or not self._required(path):
            return None
        return f"key:{hashlib.sha256(token.encode()).hexdigest()[:16]}"

    def _required(self, path: str) -> frozenset[bytes]:
        return self.metrics if path == METRICS_PATH and self.metrics else self.searching


def new_key() -> tuple[str, str]:
    """A new random key and the digest to configure for it."""
    key = secrets.token_urlsafe(32)
    return key, f"sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def _digests_in(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line.split()[0] for line in lines if line]


def _parsed(digests: Iterable[str]) -> frozenset[bytes]:
    parsed = set()
    for digest in digests:
        match = _DIGEST.fullmatch(digest.strip().lower())
        if match is None:
            raise InvalidKeyDigestError(
                f"API key digest {digest[:12]!r}… is not `sha256:` and 64 hex digits: configure "
                "the digest `newswire api-key` prints, not the key"
            )
        parsed.add(bytes.fromhex(match.group(1)))
    return frozenset(parsed)
