"""`newswire dev-services compose-secrets DIR`: the secrets docker-compose.yml hands its
containers, made here.

In DIR (owner-only files): the CA (`ca.crt`, `ca.key`); Kafka's certificate for the host `kafka`
as a PKCS#12 keystore (`kafka.p12`, its password in `kafka-keystore.password`);
Elasticsearch's for the host `elasticsearch` (`elasticsearch.crt` with the chain,
`elasticsearch.key`); a password per identity of `access` (`<user>.password`); the Elasticsearch
file realm (`elasticsearch/users`, `users_roles`, `roles.yml`). What exists is kept, so running
it again adds only what is missing.
"""

from pathlib import Path

from newswire.settings import Settings
from newswire_ops.access import identities
from newswire_ops.dev_services.certificates import CertificateAuthority, write_private
from newswire_ops.dev_services.credentials import new_password
from newswire_ops.dev_services.elasticsearch_node import write_file_realm


def write_compose_secrets(folder: Path) -> list[Path]:
    """Make what is missing of DIR's secrets; every file the compose file names."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    authority = CertificateAuthority(folder)

    def password(identity: str) -> str:
        path = folder / f"{identity}.password"
        if not path.is_file():
            write_private(path, (new_password() + "\n").encode())
        return path.read_text(encoding="utf-8").strip()

    for identity in identities(Settings()):
        password(identity)
    kafka = authority.server_pair("kafka", hosts=("kafka", "localhost"))
    authority.pkcs12_keystore(kafka, password("kafka-keystore"))
    elasticsearch = authority.server_pair("elasticsearch", hosts=("elasticsearch", "localhost"))
    chain = folder / "elasticsearch-chain.crt"
    write_private(
        chain, elasticsearch.certificate.read_bytes() + authority.certificate_file.read_bytes()
    )
    write_file_realm(folder / "elasticsearch", password)
    return sorted(path for path in folder.rglob("*") if path.is_file())
