"""Card cryptography: 3DES keys, the retail MAC and the card PSC.

- A master key (16 bytes, two-key 3DES) per station and key version; it never leaves the
  server (key file or encrypted storage).
- The per-card key is diversified from the master key, the station code and the card serial:
  left = 3DES(master, block), right = 3DES(master, ~block), block = serial XOR station code,
  DES parity set; a result whose halves are equal (single DES in disguise) is refused.
- The MAC is ISO/IEC 9797-1 MAC algorithm 3 (the retail MAC, ANSI X9.19) with padding
  method 2: CBC-DES with K over all blocks, then DES⁻¹ with K' and DES with K on the last.
- The card PSC (3 bytes) is derived from the serial under the master key; never 000000 or
  FFFFFF (the transport value): the next 3 bytes are taken instead.
"""
from Crypto.Cipher import DES, DES3

BLOCK = 8
TRANSPORT_PSC = b'\xff\xff\xff'


class CardKeyError(ValueError):
    """A key of the wrong size or shape."""


def _check_key16(key):
    if not isinstance(key, (bytes, bytearray)) or len(key) != 16:
        raise CardKeyError("a 3DES key has 16 bytes")
    if key[:8] == key[8:]:
        raise CardKeyError("the two halves of a 3DES key must differ")
    return bytes(key)


def pad_method_2(data):
    """ISO/IEC 9797-1 padding method 2: a 0x80 byte, then zeros to a whole block."""
    data = bytes(data) + b'\x80'
    return data + b'\x00' * (-len(data) % BLOCK)


def pad_method_1(data):
    """ISO/IEC 9797-1 padding method 1: zeros to a whole block (only to check the standard's
    examples: it is ambiguous, our cards use method 2)."""
    data = bytes(data)
    return data + b'\x00' * (-len(data) % BLOCK or (BLOCK if not data else 0))


def retail_mac(key, data, pad=pad_method_2):
    """ISO/IEC 9797-1 MAC algorithm 3 (padding method 2 unless told), 8-byte MAC."""
    key = _check_key16(key)
    k1, k2 = DES.new(key[:8], DES.MODE_ECB), DES.new(key[8:], DES.MODE_ECB)
    padded = pad(data)
    state = bytes(BLOCK)
    for offset in range(0, len(padded), BLOCK):
        block = bytes(a ^ b for a, b in zip(state, padded[offset:offset + BLOCK]))
        state = k1.encrypt(block)
    return k1.encrypt(k2.decrypt(state))


def _with_parity(key):
    return bytes((b & 0xFE) | (bin(b & 0xFE).count('1') % 2 == 0) for b in key)


def diversify(master_key, station_code, serial):
    """The per-card 3DES key from the station master key, station code and card serial."""
    master = DES3.new(_check_key16(master_key), DES3.MODE_ECB)
    serial = bytes(serial).rjust(BLOCK, b'\x00')[-BLOCK:]
    station = int(station_code).to_bytes(BLOCK, 'big')
    block = bytes(a ^ b for a, b in zip(serial, station))
    left = master.encrypt(block)
    right = master.encrypt(bytes(b ^ 0xFF for b in block))
    key = _with_parity(left + right)
    if key[:8] == key[8:]:  # astronomically unlikely; never hand out a single-DES key
        raise CardKeyError("diversified key degenerates to single DES")
    return key


def derive_psc(master_key, serial):
    """The card's 3-byte PSC, never 000000 nor FFFFFF."""
    master = DES3.new(_check_key16(master_key), DES3.MODE_ECB)
    stream = master.encrypt(b'PSC' + bytes(serial)[-5:].rjust(5, b'\x00'))
    stream += master.encrypt(stream)
    for offset in range(0, len(stream) - 2, 3):
        psc = stream[offset:offset + 3]
        if psc not in (b'\x00\x00\x00', TRANSPORT_PSC):
            return psc
    raise CardKeyError("no usable PSC")  # needs 5 bad triples in a row: never in practice
