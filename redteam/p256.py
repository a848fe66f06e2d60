"""ECDSA P-256 / SHA-256 in plain Python (stdlib only), enough for an attacker to mint objects
in the format of docs/PROTOCOL.md §2: compressed public keys, 64-byte r ‖ s signatures with
low S. Slow and not constant time: for tests only."""

import hashlib
import secrets

P = 2**256 - 2**224 + 2**192 + 2**96 - 1
A = P - 3
B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
G = (
    0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
)


def _add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 and (y1 + y2) % P == 0:
        return None
    if p1 == p2:
        lam = (3 * x1 * x1 + A) * pow(2 * y1, -1, P) % P
    else:
        lam = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (lam * lam - x1 - x2) % P
    return x3, (lam * (x1 - x3) - y1) % P


def _mul(k, point):
    result = None
    while k:
        if k & 1:
            result = _add(result, point)
        point = _add(point, point)
        k >>= 1
    return result


def compress(point) -> bytes:
    x, y = point
    return bytes([2 + (y & 1)]) + x.to_bytes(32, "big")


def decompress(raw: bytes):
    if len(raw) != 33 or raw[0] not in (2, 3):
        raise ValueError("not a compressed P-256 point")
    x = int.from_bytes(raw[1:], "big")
    y = pow((x * x * x + A * x + B) % P, (P + 1) // 4, P)
    if (y & 1) != (raw[0] & 1):
        y = P - y
    return x, y


class Key:
    def __init__(self, secret: int | None = None):
        self.secret = secret or (secrets.randbelow(N - 1) + 1)
        self.public = compress(_mul(self.secret, G))

    def sign(self, message: bytes) -> bytes:
        e = int.from_bytes(hashlib.sha256(message).digest(), "big")
        while True:
            k = secrets.randbelow(N - 1) + 1
            r = _mul(k, G)[0] % N
            s = pow(k, -1, N) * (e + r * self.secret) % N
            if r and s:
                if s > N // 2:
                    s = N - s
                return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify(public: bytes, message: bytes, signature: bytes) -> bool:
    if len(signature) != 64:
        return False
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    if not (0 < r < N and 0 < s < N):
        return False
    e = int.from_bytes(hashlib.sha256(message).digest(), "big")
    w = pow(s, -1, N)
    point = _add(_mul(e * w % N, G), _mul(r * w % N, decompress(public)))
    return point is not None and point[0] % N == r
