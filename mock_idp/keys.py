"""The issuer's RSA signing keys: one current signer, rotated-out keys kept in the JWKS for an overlap."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

Clock = Callable[[], float]
INDEX_FILE = "keys.json"


class KeyStoreError(RuntimeError):
    """The key directory is unreadable or inconsistent; the message names the file."""


@dataclass(frozen=True)
class SigningKey:
    """An RSA key pair with its kid; `retires_at` is None while it signs, else when it leaves the JWKS."""

    kid: str
    private_key: rsa.RSAPrivateKey
    created_at: float
    retires_at: float | None = None

    @classmethod
    def generate(cls, now: float) -> SigningKey:
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(kid=thumbprint(private_key.public_key()), private_key=private_key, created_at=now)

    def public_jwk(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        # RFC 7517 4.3: "use" and "key_ops" should not appear together; "use" is what JWKS consumers read.
        jwk.pop("key_ops", None)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url): a kid that is stable for the key."""
    jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    canonical = json.dumps(
        {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class KeyDirectory:
    """Keys persisted as <kid>.pem (PKCS#8, mode 0600) plus keys.json listing kid, created_at, retires_at."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> list[SigningKey]:
        index_path = self.path / INDEX_FILE
        if not index_path.exists():
            return []
        try:
            entries = json.loads(index_path.read_text(encoding="utf-8"))
            keys = []
            for entry in entries:
                pem = (self.path / f"{entry['kid']}.pem").read_bytes()
                private_key = serialization.load_pem_private_key(pem, password=None)
                if not isinstance(private_key, rsa.RSAPrivateKey):
                    raise KeyStoreError(f"{entry['kid']}.pem is not an RSA private key")
                keys.append(
                    SigningKey(entry["kid"], private_key, entry["created_at"], entry.get("retires_at"))
                )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise KeyStoreError(f"cannot load signing keys from {self.path}: {exc}") from None
        return keys

    def save(self, keys: list[SigningKey]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        for key in keys:
            pem_path = self.path / f"{key.kid}.pem"
            pem = key.private_pem()
            # Rewritten when the material changed under the same kid (rotate_in_place).
            if not pem_path.exists() or pem_path.read_bytes() != pem:
                _write_atomically(pem_path, pem, mode=0o600)
        index = [{"kid": k.kid, "created_at": k.created_at, "retires_at": k.retires_at} for k in keys]
        _write_atomically(self.path / INDEX_FILE, json.dumps(index, indent=2).encode("utf-8"), mode=0o644)
        # Retired keys' files go too: a key no verifier trusts any more should not linger on disk.
        kept = {f"{k.kid}.pem" for k in keys}
        for stale in self.path.glob("*.pem"):
            if stale.name not in kept:
                stale.unlink(missing_ok=True)


def _write_atomically(path: Path, data: bytes, *, mode: int) -> None:
    # Readers in other processes (bad_tokens) must never see a half-written file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


class KeySet:
    """The current signing key plus rotated-out keys still inside their overlap window."""

    def __init__(
        self,
        keys: list[SigningKey],
        *,
        overlap_seconds: float,
        clock: Clock = time.time,
        directory: KeyDirectory | None = None,
    ) -> None:
        if not keys or keys[-1].retires_at is not None:
            raise KeyStoreError("a key set needs a current (unretired) signing key last")
        self._keys = keys
        self._overlap_seconds = overlap_seconds
        self._clock = clock
        self._directory = directory
        self._lock = threading.Lock()

    @classmethod
    def open(cls, key_dir: Path | None, *, overlap_seconds: float, clock: Clock = time.time) -> KeySet:
        """Load the keys persisted in key_dir (creating a first key if there are none); None = in memory."""
        directory = KeyDirectory(key_dir) if key_dir is not None else None
        now = clock()
        keys = [
            k for k in (directory.load() if directory else []) if k.retires_at is None or k.retires_at > now
        ]
        if not keys or keys[-1].retires_at is not None:
            keys.append(SigningKey.generate(now))
        key_set = cls(keys, overlap_seconds=overlap_seconds, clock=clock, directory=directory)
        key_set._persist()
        return key_set

    @property
    def current(self) -> SigningKey:
        return self._keys[-1]

    def published(self) -> list[SigningKey]:
        """Keys a verifier should trust now: the current one first, then those still overlapping."""
        now = self._clock()
        live = [k for k in self._keys if k.retires_at is None or k.retires_at > now]
        return list(reversed(live))

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.public_jwk() for key in self.published()]}

    def rotate(self, overlap_seconds: float | None = None) -> SigningKey:
        """Make a fresh key the signer; the previous signer stays published for the overlap."""
        overlap = self._overlap_seconds if overlap_seconds is None else overlap_seconds
        if overlap < 0:
            raise ValueError("overlap_seconds must not be negative")
        with self._lock:
            now = self._clock()
            new_key = SigningKey.generate(now)
            previous = self._keys[-1]
            retired = SigningKey(previous.kid, previous.private_key, previous.created_at, now + overlap)
            self._keys = [k for k in self._keys[:-1] if k.retires_at is None or k.retires_at > now]
            self._keys += [retired, new_key]
            self._persist()
            return new_key

    def rotate_in_place(self) -> SigningKey:
        """Test aid: new key material under the current kid, the old material withdrawn at once.

        Real issuers should never do this (RFC 7517 expects a new kid per key); it emulates those that do, so
        verifiers can be tested against a known kid whose key changed. The kid is no longer a thumbprint.
        """
        with self._lock:
            previous = self._keys[-1]
            fresh = SigningKey.generate(self._clock())
            new_key = SigningKey(previous.kid, fresh.private_key, fresh.created_at)
            self._keys = [*self._keys[:-1], new_key]
            self._persist()
            return new_key

    def _persist(self) -> None:
        if self._directory is not None:
            self._directory.save(self._keys)


def load_current_key(key_dir: Path) -> SigningKey:
    """The key a running issuer signs with, read from its key directory (for tests minting tokens)."""
    keys = KeyDirectory(key_dir).load()
    if not keys or keys[-1].retires_at is not None:
        raise KeyStoreError(f"no current signing key in {key_dir}; has the issuer been started with it?")
    return keys[-1]
