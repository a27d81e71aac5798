"""Card crypto: the retail MAC against published values and an independent implementation,
card key diversification and the PSC."""
import pytest
from Crypto.Cipher import DES
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import card_crypto as cc

# ISO/IEC 9797-1 Annex B example keys: K = 0123456789ABCDEF, K' = FEDCBA9876543210.
ISO_KEY = bytes.fromhex('0123456789ABCDEF' 'FEDCBA9876543210')
NOW_ALL = b"Now is the time for all "          # 24 bytes: 4E6F7720 ... 616C6C20
NOW_IT = b"Now is the time for it"             # 22 bytes
MASTER = bytes.fromhex('00112233445566778899AABBCCDDEEFF')
SERIAL = bytes.fromhex('1020304050607080')


def pad_method_1(data):
    """ISO/IEC 9797-1 padding method 1 (zeros to a whole block), which the cards never use:
    only for the standard's examples."""
    return data + b'\x00' * (-len(data) % cc.BLOCK)


def test_retail_mac_published_examples():
    """MAC algorithm 3 (the retail MAC) on the standard's example data.

    Padding method 1 — A1C72E74EA3FA9B6 and 2E2B1428CC78254F — are ISO/IEC 9797-1:2011,
    section B.4, as quoted by RustCrypto's `retail-mac` crate (github.com/RustCrypto/MACs,
    retail-mac/README.md and src/lib.rs doc test: "test from ISO/IEC 9797-1:2011 section
    B.4"); the first is also the ANSI X9.19 example used across payment libraries.
    Padding method 2 — E9086230CA3BE796 and 5A692CE64F404145 — are the Annex B values as
    listed in a public JavaScript test suite of the ISO 9797-1 Annex B vectors (found with the
    code search, repository not named by the index), which notes that the 1999 edition
    prints the first as "E9086230CA3BEF96", a one-bit typo. We did not read the standard
    itself: these values are also cross-checked below against an independent implementation
    built from single-DES block operations."""
    assert cc.retail_mac(ISO_KEY, NOW_ALL, pad_method_1).hex().upper() == 'A1C72E74EA3FA9B6'
    assert cc.retail_mac(ISO_KEY, NOW_IT, pad_method_1).hex().upper() == '2E2B1428CC78254F'
    assert cc.retail_mac(ISO_KEY, NOW_ALL).hex().upper() == 'E9086230CA3BE796'
    assert cc.retail_mac(ISO_KEY, NOW_IT).hex().upper() == '5A692CE64F404145'


def test_tdes_published_example():
    """Two-key 3DES-EDE as pycryptodome runs it, on the FIPS 81 / Bouncy Castle DESede test
    vector (bcgit DESedeTest: key 0123456789abcdeffedcba9876543210, the same 24 bytes)."""
    from Crypto.Cipher import DES3
    out = DES3.new(ISO_KEY, DES3.MODE_ECB).encrypt(NOW_ALL)
    assert out.hex() == 'd80a0d8b2bae5e4e6a0094171abcfc2775d2235a706e232c'


def reference_retail_mac(key, data):
    """ISO/IEC 9797-1 MAC algorithm 3, padding method 2, written out from the standard's
    description with single-DES ECB block operations only (no CBC mode object)."""
    k, k2 = DES.new(key[:8], DES.MODE_ECB), DES.new(key[8:], DES.MODE_ECB)
    padded = bytearray(data) + b'\x80'
    while len(padded) % 8:
        padded.append(0)
    h = bytes(8)
    for i in range(0, len(padded), 8):                   # H_i = e_K(H_{i-1} xor D_i)
        h = k.encrypt(bytes(x ^ y for x, y in zip(h, padded[i:i + 8])))
    return k.encrypt(k2.decrypt(h))                       # output transformation 3


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=16, max_size=16).filter(lambda k: k[:8] != k[8:]), st.binary(max_size=100))
def test_retail_mac_matches_an_independent_implementation(key, data):
    try:
        cc._check_key16(key)
    except cc.CardKeyError:
        return                                            # halves equal up to parity
    assert cc.retail_mac(key, data) == reference_retail_mac(key, data)


def test_padding():
    assert cc.pad_method_2(b'') == bytes.fromhex('8000000000000000')
    assert cc.pad_method_2(bytes(7)) == bytes(7) + b'\x80'
    assert cc.pad_method_2(bytes(8)) == bytes(8) + bytes.fromhex('8000000000000000')


def test_verify_mac():
    mac = cc.retail_mac(ISO_KEY, NOW_ALL)
    assert cc.verify_mac(ISO_KEY, NOW_ALL, mac)
    assert not cc.verify_mac(ISO_KEY, NOW_ALL, mac[:7] + bytes([mac[7] ^ 1]))
    assert not cc.verify_mac(ISO_KEY, NOW_IT, mac)


def test_diversified_keys_differ_per_card_and_station():
    a = cc.diversify(MASTER, '310101', SERIAL)
    b = cc.diversify(MASTER, '310101', SERIAL[:7] + b'\x81')
    c = cc.diversify(MASTER, '310102', SERIAL)
    d = cc.diversify(bytes.fromhex('0F1E2D3C4B5A69788796A5B4C3D2E1F0'), '310101', SERIAL)
    assert len({a, b, c, d, MASTER}) == 5
    assert cc.diversify(MASTER, '310101', SERIAL) == a   # deterministic: meters derive it too
    for key in (a, b, c, d):
        assert len(key) == 16 and key[:8] != key[8:]
        assert all(bin(byte).count('1') % 2 == 1 for byte in key)   # DES odd parity


def test_no_structural_collision_between_stations():
    """The XOR of serial and station is not what is encrypted: (station, serial) pairs whose
    XORs coincide still get different keys."""
    s1, s2 = int('310101'), int('310102')
    serial2 = (int.from_bytes(SERIAL, 'big') ^ s1 ^ s2).to_bytes(8, 'big')
    assert cc.diversify(MASTER, '310101', SERIAL) != cc.diversify(MASTER, '310102', serial2)


def test_degenerate_key_is_derived_again(monkeypatch):
    """A card key with equal halves (single DES) or a weak half is never handed out: the
    derivation goes on with a counter."""
    real = cc._cbc_last
    calls = []

    def fake(master, data):
        calls.append(data)
        if len(calls) <= 2:                               # first try: L == R
            return bytes.fromhex('0123456789ABCDEF')
        if len(calls) <= 4:                               # second try: a weak DES half
            return bytes.fromhex('0101010101010101') if len(calls) == 3 else real(master, data)
        return real(master, data)

    monkeypatch.setattr(cc, '_cbc_last', fake)
    key = cc.diversify(MASTER, '310101', SERIAL)
    assert key[:8] != key[8:] and key[:8] not in cc._WEAK_DES_KEYS and key[8:] not in cc._WEAK_DES_KEYS
    assert len(calls) == 6
    assert calls[2].endswith(b'\x01') and calls[4].endswith(b'\x02')   # counters 1, 2


def test_psc_is_never_transport_nor_zero():
    pscs = set()
    for n in range(300):
        psc = cc.derive_psc(MASTER, n.to_bytes(8, 'big'))
        assert len(psc) == 3 and psc not in (b'\x00\x00\x00', b'\xff\xff\xff')
        pscs.add(psc)
    assert len(pscs) > 290                                # 24 bits: a few collisions at most
    assert cc.derive_psc(MASTER, SERIAL) == cc.derive_psc(MASTER, SERIAL)


def test_psc_uses_the_whole_serial():
    assert cc.derive_psc(MASTER, SERIAL) != cc.derive_psc(MASTER, b'\x11' + SERIAL[1:])
    assert cc.derive_psc(MASTER, SERIAL) != cc.derive_psc(bytes.fromhex('0F1E2D3C4B5A69788796A5B4C3D2E1F0'), SERIAL)


@pytest.mark.parametrize('forbidden', [b'\x00\x00\x00', b'\xff\xff\xff'])
def test_forbidden_psc_is_derived_again(monkeypatch, forbidden):
    real = cc._cbc_last
    seen = []

    def fake(master, data):
        seen.append(data)
        return forbidden + bytes(5) if len(seen) == 1 else real(master, data)

    monkeypatch.setattr(cc, '_cbc_last', fake)
    psc = cc.derive_psc(MASTER, SERIAL)
    assert psc not in cc.FORBIDDEN_PSC
    assert seen[0][3] == 0 and seen[1][3] == 1            # "PSC" ‖ counter ‖ serial


def test_bad_keys_and_serials_refused():
    with pytest.raises(cc.CardKeyError):
        cc.retail_mac(bytes(8), b'x')
    with pytest.raises(cc.CardKeyError):
        cc.retail_mac(bytes(16), b'x')                    # equal halves: single DES
    with pytest.raises(cc.CardKeyError):
        cc.retail_mac(bytes.fromhex('0123456789ABCDEF' '0023456789ABCDEE'), b'x')   # equal but for parity
    with pytest.raises(ValueError):
        cc.diversify(MASTER, '310101', b'short')
    with pytest.raises(ValueError):
        cc.diversify(MASTER, '3101011', SERIAL)
    with pytest.raises(ValueError):
        cc.derive_psc(MASTER, SERIAL + b'\x00')
