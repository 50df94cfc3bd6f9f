"""The secrets of the secured dev-services: a password per identity and the certificates.

Kept under `<dev home>/security/` (owner-only files): `ca.crt` and the certificates
(`certificates`), `secrets/<identity>.password` (one password per identity, for Kafka and
Elasticsearch alike). Made on the first `up --secure` and kept, so clients configured once keep
working across restarts; `up --secure --fresh` makes new ones.
"""

import secrets
import shutil
from pathlib import Path

from newswire.settings import DevServicesSettings, Settings
from newswire_ops.access import identities
from newswire_ops.dev_services.certificates import CertificateAuthority, write_private


def new_password() -> str:
    """A random password of 32 URL-safe characters (nothing a shell or a JAAS line quotes)."""
    return secrets.token_urlsafe(24)


class DevCredentials:
    """The secrets of one dev home."""

    def __init__(self, settings: DevServicesSettings) -> None:
        self.folder = settings.home / "security"

    @property
    def secrets_dir(self) -> Path:
        return self.folder / "secrets"

    def exists(self) -> bool:
        return (self.folder / "ca.crt").is_file()

    def authority(self) -> CertificateAuthority:
        return CertificateAuthority(self.folder)

    def password_file(self, identity: str) -> Path:
        """The file of `identity`'s password, made on first use."""
        path = self.secrets_dir / f"{identity}.password"
        if not path.is_file():
            self.secrets_dir.mkdir(parents=True, exist_ok=True)
            self.secrets_dir.chmod(0o700)
            write_private(path, (new_password() + "\n").encode())
        return path

    def password(self, identity: str) -> str:
        return self.password_file(identity).read_text(encoding="utf-8").strip()

    def passwords(self) -> dict[str, str]:
        """Every identity's password (made if missing)."""
        return {identity: self.password(identity) for identity in identities(Settings())}

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
