"""Card cryptography: per-card 3DES keys, the retail MAC and the card PSC.

- **Master key**: two-key 3DES (16 bytes) per station and key version. It never leaves the
  server (key file); meters of the station hold it too (they derive the same card keys).
- **Card key** (`diversify`): with X = BCD(station code, 3 bytes) ‖ card serial (8 bytes),
  padded with ISO/IEC 9797-1 padding method 2 to two blocks,
  L = last block of 3DES-CBC(master, IV 0, X) and R = the same over the bitwise complement of
  X; card key = L ‖ R with DES odd parity. The station code and the whole serial go in
  unaltered (no XOR folding), so two (station, serial) pairs never share a card key by
  construction. Should a key degenerate (equal halves: 3DES would be single DES; or a DES
  weak / semi-weak half), it is derived again with a counter byte appended to X
  (counter 1, 2, ...): the result is always a real two-key 3DES key.
- **MAC** (`retail_mac`): ISO/IEC 9797-1 MAC algorithm 3 (the "retail MAC", ANSI X9.19):
  CBC-DES with K over every block, then DES⁻¹ with K' and DES with K on the last one;
  padding method 2 (0x80 then zeros, always at least one byte, so it is unambiguous).
  The card keeps the full 8-byte MAC: the card has room, and 64 bits leave no practical
  forgery margin for an off-line attacker who can try cards on a meter.
- **PSC** (`derive_psc`): the SLE4442's 3-byte programmable security code, derived from the
  whole card serial under the master key (not under the card key: a card key never unlocks
  its own chip): PSC = first 3 bytes of 3DES-CBC(master, "PSC" ‖ counter ‖ serial, padding 2),
  counter 0, then 1, 2, ... while the result is 000000 or FFFFFF (FFFFFF is the transport
  PSC of blank cards; 000000 is what a reader without a PSC would try first).

Everything here is plain Python over pycryptodome: no Odoo.
"""
import hmac
from collections.abc import Callable

from Crypto.Cipher import DES, DES3

BLOCK = 8
TRANSPORT_PSC = b'\xff\xff\xff'
FORBIDDEN_PSC = (b'\x00\x00\x00', TRANSPORT_PSC)

# DES weak and semi-weak keys (FIPS 74), parity-adjusted: a card key half must not be one.
_WEAK_DES_KEYS = frozenset(bytes.fromhex(k) for k in (
    '0101010101010101', 'FEFEFEFEFEFEFEFE', 'E0E0E0E0F1F1F1F1', '1F1F1F1F0E0E0E0E',
    '011F011F010E010E', '1F011F010E010E01', '01E001E001F101F1', 'E001E001F101F101',
    '01FE01FE01FE01FE', 'FE01FE01FE01FE01', '1FE01FE00EF10EF1', 'E01FE01FF10EF10E',
    '1FFE1FFE0EFE0EFE', 'FE1FFE1FFE0EFE0E', 'E0FEE0FEF1FEF1FE', 'FEE0FEE0FEF1FEF1'))


class CardKeyError(ValueError):
    """A key of the wrong size or shape (a configuration error, not a card's fault)."""


def _check_key16(key):
    if not isinstance(key, (bytes, bytearray)) or len(key) != 16:
        raise CardKeyError("a two-key 3DES key has 16 bytes")
    key = bytes(key)
    if _with_parity(key[:8]) == _with_parity(key[8:]):
        raise CardKeyError("the two halves of a 3DES key must differ (else it is single DES)")
    return key


_ODD_PARITY = bytes((b & 0xFE) | (bin(b & 0xFE).count('1') % 2 == 0) for b in range(256))


def _with_parity(key):
    """Set each byte's low bit so that the byte has odd parity (DES key convention)."""
    return bytes(key).translate(_ODD_PARITY)


def _xor(a, b):
    return (int.from_bytes(a, 'big') ^ int.from_bytes(b, 'big')).to_bytes(len(a), 'big')


def pad_method_2(data: bytes) -> bytes:
    """ISO/IEC 9797-1 padding method 2: a 0x80 byte, then zeros to a whole block."""
    data = bytes(data) + b'\x80'
    return data + b'\x00' * (-len(data) % BLOCK)


def retail_mac(key: bytes, data: bytes, pad: Callable[[bytes], bytes] = pad_method_2) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 (initial transformation 1, output transformation 3)
    with DES, key K ‖ K' (16 bytes), padding method 2 unless told; the full 8-byte MAC."""
    key = _check_key16(key)
    padded = pad(data)
    chained = DES.new(key[:8], DES.MODE_CBC, iv=bytes(BLOCK)).encrypt(padded)[-BLOCK:]
    return DES.new(key[:8], DES.MODE_ECB).encrypt(DES.new(key[8:], DES.MODE_ECB).decrypt(chained))


def verify_mac(key: bytes, data: bytes, mac: bytes) -> bool:
    """Whether `mac` is the retail MAC of `data` (constant-time comparison)."""
    return hmac.compare_digest(retail_mac(key, data), bytes(mac))


def _cbc_last(cipher, data):
    """Last block of CBC (IV 0) over data with padding method 2, with a block cipher object in
    ECB mode (one 3DES key schedule serves every derivation of a call)."""
    padded = pad_method_2(data)
    state = bytes(BLOCK)
    for offset in range(0, len(padded), BLOCK):
        state = cipher.encrypt(_xor(state, padded[offset:offset + BLOCK]))
    return state


def station_bcd(station_code: str | int) -> bytes:
    """The 6-digit station code as 3 BCD bytes."""
    code = str(station_code)
    if len(code) > 6 or not code.isdigit() or not code.isascii():
        raise ValueError(f"station code {code!r} is not 6 digits")
    return bytes.fromhex(code.rjust(6, '0'))


def _check_serial(serial):
    if not isinstance(serial, (bytes, bytearray)) or len(serial) != BLOCK:
        raise ValueError("a card serial has 8 bytes")
    return bytes(serial)


def diversify(master_key: bytes, station_code: str | int, serial: bytes) -> bytes:
    """The per-card two-key 3DES key from the station master key, the station code and the
    card serial (see the module docstring)."""
    master = DES3.new(_check_key16(master_key), DES3.MODE_ECB)
    data = station_bcd(station_code) + _check_serial(serial)
    for counter in range(256):
        x = data if counter == 0 else data + bytes([counter])
        left = _cbc_last(master, x)
        right = _cbc_last(master, bytes(b ^ 0xFF for b in x))
        key = _with_parity(left + right)
        if key[:8] != key[8:] and key[:8] not in _WEAK_DES_KEYS and key[8:] not in _WEAK_DES_KEYS:
            return key
    raise CardKeyError("no usable card key")   # 256 degenerate keys in a row: never


def derive_psc(master_key: bytes, serial: bytes) -> bytes:
    """The card's 3-byte PSC from the whole serial under the master key; never 000000 nor
    FFFFFF (derived again with the next counter if so)."""
    master = DES3.new(_check_key16(master_key), DES3.MODE_ECB)
    serial = _check_serial(serial)
    for counter in range(256):
        psc = _cbc_last(master, b'PSC' + bytes([counter]) + serial)[:3]
        if psc not in FORBIDDEN_PSC:
            return psc
    raise CardKeyError("no usable PSC")   # 256 forbidden values in a row: never
