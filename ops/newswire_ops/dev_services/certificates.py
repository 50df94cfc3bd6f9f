"""The certificate authority and certificates of the secured dev-services, made here.

One CA signs a server certificate for 127.0.0.1 (Kafka's listeners and
Elasticsearch's HTTP and transport layers) and a client certificate per user name (Kafka's
mutual-TLS listener maps a certificate's CN to that user, so one set of ACLs serves both ways
in). Everything is PEM; Kafka's broker also gets its key and certificate as a PKCS#12 keystore,
which every Java release reads. Made once per dev home and kept: clients trust the same CA file
across restarts.
"""

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = datetime.timedelta(days=3 * 365)
SERVER_NAME = "newswire-dev-server"


@dataclass(frozen=True)
class KeyPair:
    """A certificate and its private key, as PEM files."""

    certificate: Path
    key: Path


class CertificateAuthority:
    """The dev home's CA (`ca.crt`, `ca.key` in `folder`), made on first use."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.certificate_file = folder / "ca.crt"
        self._key_file = folder / "ca.key"
        if not self.certificate_file.is_file():
            self._make()
        self._key = serialization.load_pem_private_key(self._key_file.read_bytes(), None)
        self._certificate = x509.load_pem_x509_certificate(self.certificate_file.read_bytes())

    def _make(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Newswire dev-services CA")])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        write_private(self._key_file, _pem_key(key))
        self.certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))

    def fingerprint(self) -> str:
        """The CA certificate's SHA-256 fingerprint, hex (what Elasticsearch clients pin)."""
        return self._certificate.fingerprint(hashes.SHA256()).hex()

    def server_pair(self, name: str = SERVER_NAME, hosts: tuple[str, ...] = ()) -> KeyPair:
        """A server (and client: brokers and nodes talk to each other) certificate for
        127.0.0.1 and `hosts`: the servers listen on loopback only, and clients reach them by
        that address (`localhost` is left out, so a client can be shown a name mismatch)."""
        names: list[x509.GeneralName] = [
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            *(x509.DNSName(host) for host in hosts),
        ]
        return self._issue(
            name,
            [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
            names,
        )

    def client_pair(self, user: str) -> KeyPair:
        """A client certificate whose CN is `user`."""
        return self._issue(user, [ExtendedKeyUsageOID.CLIENT_AUTH], [])

    def _issue(
        self,
        common_name: str,
        usages: list[x509.ObjectIdentifier],
        names: list[x509.GeneralName],
    ) -> KeyPair:
        pair = KeyPair(self.folder / f"{common_name}.crt", self.folder / f"{common_name}.key")
        if pair.certificate.is_file() and pair.key.is_file():
            return pair
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(self._certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._certificate.public_key()),  # type: ignore[arg-type]
                critical=False,
            )
        )
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        certificate = builder.sign(self._key, hashes.SHA256())  # type: ignore[arg-type]
        write_private(pair.key, _pem_key(key))
        pair.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        return pair

    def pkcs12_keystore(self, pair: KeyPair, password: str) -> Path:
        """`pair` as a PKCS#12 keystore (with the CA in its chain), protected by `password`."""
        path = pair.certificate.with_suffix(".p12")
        key = serialization.load_pem_private_key(pair.key.read_bytes(), None)
        certificate = x509.load_pem_x509_certificate(pair.certificate.read_bytes())
        store = pkcs12.serialize_key_and_certificates(
            name=certificate.subject.rfc4514_string().encode(),
            key=key,  # type: ignore[arg-type]
            cert=certificate,
            cas=[self._certificate],
            encryption_algorithm=serialization.BestAvailableEncryption(password.encode()),
        )
        write_private(path, store)
        return path


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def write_private(path: Path, content: bytes) -> None:
    """Write `content` readable by the owner only (a key, a keystore)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
