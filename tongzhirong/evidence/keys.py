"""The checkpoint key: Ed25519, held in a PEM file outside the database (``EVIDENCE_SIGNING_KEY``), so whoever
can rewrite the database still cannot sign a checkpoint for the rewritten chain."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.utils.translation import gettext as _

from tongzhirong.core.errors import Conflict


class SigningKeyMissing(Conflict):
    code = "signing_key_missing"


def key_path() -> Path:
    return Path(settings.EVIDENCE_SIGNING_KEY)


def generate(path: Path) -> Ed25519PrivateKey:
    """Write a new key (PKCS#8 PEM, readable by its owner only); an existing key is never overwritten."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        out.write(pem)
    return key


def signing_key() -> Ed25519PrivateKey:
    path = key_path()
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError as exc:
        raise SigningKeyMissing(
            _("No checkpoint signing key at %(path)s (EVIDENCE_SIGNING_KEY): create it with manage.py evidence_keygen.")
            % {"path": path}
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyMissing(_("The key at %(path)s is not an Ed25519 key.") % {"path": path})
    return key


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(public_raw: bytes) -> str:
    """SHA-256 of the 32 raw public-key bytes, hex: what the operator lodges with the notary."""
    return hashlib.sha256(public_raw).hexdigest()


def sign(key: Ed25519PrivateKey, statement: str) -> str:
    return base64.b64encode(key.sign(statement.encode("utf-8"))).decode("ascii")


def signature_problem(statement: str, signature: str, public_key: str) -> str:
    """Empty when ``signature`` (base64) is the Ed25519 signature of ``statement`` by ``public_key`` (base64 of
    the raw 32 bytes); otherwise why not."""
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        public.verify(base64.b64decode(signature, validate=True), statement.encode("utf-8"))
    except (ValueError, binascii.Error):
        return _("The public key or the signature is malformed.")
    except InvalidSignature:
        return _("The signature does not match the statement.")
    return ""
