"""The strict CBOR subset of docs/PROTOCOL.md §1: unsigned integers, byte and text strings,
arrays. Written from the document, not from the Rust code."""


class CborError(ValueError):
    pass


def _head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([(major << 5) | value])
    for ai, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < (1 << (8 * width)):
            return bytes([(major << 5) | ai]) + value.to_bytes(width, "big")
    raise CborError("integer too large")


def encode(item) -> bytes:
    if isinstance(item, bool):
        raise CborError("booleans are not in the subset")
    if isinstance(item, int):
        if item < 0:
            raise CborError("negative integers are not in the subset")
        return _head(0, item)
    if isinstance(item, (bytes, bytearray)):
        return _head(2, len(item)) + bytes(item)
    if isinstance(item, str):
        raw = item.encode()
        return _head(3, len(raw)) + raw
    if isinstance(item, (list, tuple)):
        return _head(4, len(item)) + b"".join(encode(x) for x in item)
    raise CborError(f"cannot encode {type(item).__name__}")


def _decode(data: bytes, pos: int):
    if pos >= len(data):
        raise CborError("truncated")
    first = data[pos]
    major, ai = first >> 5, first & 31
    pos += 1
    if ai < 24:
        value = ai
    elif ai <= 27:
        width = 1 << (ai - 24)
        if pos + width > len(data):
            raise CborError("truncated")
        value = int.from_bytes(data[pos : pos + width], "big")
        pos += width
    else:
        raise CborError("indefinite or reserved length")
    if major == 0:
        return value, pos
    if major in (2, 3):
        if pos + value > len(data):
            raise CborError("truncated")
        raw = data[pos : pos + value]
        return (bytes(raw) if major == 2 else raw.decode()), pos + value
    if major == 4:
        items = []
        for _ in range(value):
            item, pos = _decode(data, pos)
            items.append(item)
        return items, pos
    raise CborError(f"major type {major} is not in the subset")


def decode(data: bytes):
    item, pos = _decode(data, 0)
    if pos != len(data):
        raise CborError("trailing bytes")
    return item
