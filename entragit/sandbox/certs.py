"""A throwaway certificate authority and loopback server certificate for the sandbox.

msal refuses `http://` authorities, so the sandbox must speak TLS, and clients must be able to verify it
without switching verification off. We mint a CA and a server certificate for 127.0.0.1/localhost once per
process (EC keys: generation takes milliseconds, which keeps test start-up fast) and write the CA to a file
that clients trust via `verify=`/`REQUESTS_CA_BUNDLE`. The keys never leave the temporary work directory.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class CertFiles:
    """Paths of the PEM files written for one sandbox instance."""

    ca_pem: str
    server_cert: str
    server_key: str


@dataclass(frozen=True)
class _Material:
    ca_pem: bytes
    server_cert_pem: bytes
    server_key_pem: bytes


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "entragit sandbox"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


@functools.lru_cache(maxsize=1)
def _material() -> _Material:
    """Generate the CA and server certificate once per process; every sandbox in the process reuses them."""
    now = dt.datetime.now(dt.timezone.utc)
    not_before = now - dt.timedelta(days=1)
    not_after = now + dt.timedelta(days=30)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("entragit sandbox CA")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
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
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(server_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return _Material(
        ca_pem=ca_cert.public_bytes(serialization.Encoding.PEM),
        server_cert_pem=server_cert.public_bytes(serialization.Encoding.PEM),
        server_key_pem=server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def _reusable(ca: Path, cert: Path, key: Path) -> bool:
    """True when workdir already holds a matching CA, server certificate and key valid for another day."""
    try:
        ca_cert = x509.load_pem_x509_certificate(ca.read_bytes())
        server_cert = x509.load_pem_x509_certificate(cert.read_bytes())
        server_key = serialization.load_pem_private_key(key.read_bytes(), password=None)
        server_cert.verify_directly_issued_by(ca_cert)
    except Exception:  # missing, unreadable, foreign or mismatched (InvalidSignature...): regenerate
        return False
    same_key = server_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == server_cert.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    tomorrow = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    return same_key and _expiry(server_cert) > tomorrow and _expiry(ca_cert) > tomorrow


def _expiry(cert: x509.Certificate) -> dt.datetime:
    aware = getattr(cert, "not_valid_after_utc", None)  # cryptography >= 42
    if isinstance(aware, dt.datetime):
        return aware
    return cert.not_valid_after.replace(tzinfo=dt.timezone.utc)


def write_certificates(workdir: str | Path, *, reuse: bool = False) -> CertFiles:
    """Write the CA (for clients) and the server certificate and key (for us) into workdir.

    With `reuse`, certificates a previous run left in workdir are kept, so clients that trust that ca.pem
    keep working across restarts of `sandbox serve --workdir DIR`.
    """
    base = Path(workdir)
    base.mkdir(parents=True, exist_ok=True)
    ca = base / "ca.pem"
    cert = base / "server.pem"
    key = base / "server.key"
    if reuse and _reusable(ca, cert, key):
        return CertFiles(ca_pem=str(ca), server_cert=str(cert), server_key=str(key))
    material = _material()
    ca.write_bytes(material.ca_pem)
    cert.write_bytes(material.server_cert_pem)
    # The key is only for this process, but keep it private anyway.
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(material.server_key_pem)
    return CertFiles(ca_pem=str(ca), server_cert=str(cert), server_key=str(key))


def server_context(files: CertFiles) -> ssl.SSLContext:
    """A TLS server context presenting the loopback certificate."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(files.server_cert, files.server_key)
    return ctx
