"""HMAC-SHA256 of a whole Arrow column, as lower-case hex: the `hash` policy.

Pure Python cannot vectorise HMAC, so the per-value work is cut to the minimum: a column with
repeats has each distinct value hashed once (Arrow dictionary-encodes it; a mostly-unique column
skips that, it would cost more than it saves), the keyed inner and outer SHA-256 states are
precomputed and copied rather than re-keyed, and the hex text is produced for the whole column at
once instead of one Python string per value.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_BLOCK = 64  # SHA-256 block size, bytes
_HEX_DIGEST = 64  # characters of one hex digest


def hmac_sha256_hex(values: pa.Array | pa.ChunkedArray, key: bytes) -> pa.Array:
    """`hmac.new(key, value, sha256).hexdigest()` for every value; nulls stay null.

    Strings hash their UTF-8 bytes and binaries their raw bytes; other types hash their Arrow
    text form (`42`, `2026-01-01 00:00:00.000000`), so equal values hash equally in every table.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    data = as_bytes(values)
    if _mostly_distinct(data):
        # Deduplicating would cost more than it saves: hash the non-null values as they come.
        valid = pc.is_valid(data)
        digests = _hex_digests(data.drop_null().to_pylist(), key)
        if data.null_count == 0:
            return digests
        return pc.replace_with_mask(pa.nulls(len(data), pa.string()), valid, digests)
    encoded = pc.dictionary_encode(data)
    digests = _hex_digests(encoded.dictionary.to_pylist(), key)
    return digests.take(encoded.indices)


def _mostly_distinct(data: pa.Array, probe: int = 2048) -> bool:
    """Whether most values of a leading slice are distinct (ids, emails), judged on `probe` values."""
    head = data.slice(0, probe)
    return len(head) > 0 and pc.count_distinct(head).as_py() > 0.8 * (len(head) - head.null_count)


def as_bytes(values: pa.Array) -> pa.Array:
    """The column as `binary`: the exact bytes the hash is taken of."""
    if pa.types.is_dictionary(values.type):
        values = values.cast(values.type.value_type)
    if pa.types.is_binary(values.type):
        return values
    if pa.types.is_large_binary(values.type) or pa.types.is_binary_view(values.type):
        return values.cast(pa.binary())
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        values = pc.cast(values, pa.string())
    return values.cast(pa.binary())


def _hex_digests(values: list[bytes], key: bytes) -> pa.Array:
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    inner_copy, outer_copy = inner.copy, outer.copy

    def digest(value: bytes) -> bytes:
        i = inner_copy()
        i.update(value)
        o = outer_copy()
        o.update(i.digest())
        return o.digest()

    hex_text = b"".join(map(digest, values)).hex().encode("ascii")
    offsets = np.arange(0, len(values) * _HEX_DIGEST + 1, _HEX_DIGEST, dtype=np.int32)
    return pa.StringArray.from_buffers(len(values), pa.py_buffer(offsets), pa.py_buffer(hex_text))
