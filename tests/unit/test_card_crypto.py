"""Card crypto against the published ISO/IEC 9797-1 examples."""
import pytest

from odoo.addons.prepaid_electricity.domain import card_crypto as cc

# ISO/IEC 9797-1 Annex B (also ANSI X9.19): K = 0123456789ABCDEF, K' = FEDCBA9876543210.
ISO_KEY = bytes.fromhex('0123456789ABCDEF' 'FEDCBA9876543210')
MASTER = bytes.fromhex('00112233445566778899AABBCCDDEEFF')


def test_retail_mac_published_examples():
    # MAC algorithm 3, padding method 1: G = A1C72E74EA3FA9B6 and, for the 22-byte message,
    # 2E2B1428CC78254F; padding method 2 (the one our cards use): E9086230CA3BE796.
    assert cc.retail_mac(ISO_KEY, b"Now is the time for all ", cc.pad_method_1).hex().upper() == 'A1C72E74EA3FA9B6'
    assert cc.retail_mac(ISO_KEY, b"Now is the time for it", cc.pad_method_1).hex().upper() == '2E2B1428CC78254F'
    assert cc.retail_mac(ISO_KEY, b"Now is the time for all ").hex().upper() == 'E9086230CA3BE796'


def test_padding_method_2():
    assert cc.pad_method_2(b'') == bytes.fromhex('8000000000000000')
    assert cc.pad_method_2(bytes(8)) == bytes(8) + bytes.fromhex('8000000000000000')


def test_diversified_keys_differ_per_card_and_station():
    a = cc.diversify(MASTER, '310101', bytes.fromhex('0102030405060708'))
    b = cc.diversify(MASTER, '310101', bytes.fromhex('0102030405060709'))
    c = cc.diversify(MASTER, '310102', bytes.fromhex('0102030405060708'))
    assert len({a, b, c}) == 3
    assert all(len(k) == 16 and k[:8] != k[8:] for k in (a, b, c))
    assert all(bin(byte).count('1') % 2 == 1 for byte in a)  # DES odd parity


def test_psc_is_never_transport_nor_zero():
    for n in range(300):
        psc = cc.derive_psc(MASTER, n.to_bytes(8, 'big'))
        assert len(psc) == 3 and psc not in (b'\x00\x00\x00', b'\xff\xff\xff')
    assert cc.derive_psc(MASTER, b'12345678') == cc.derive_psc(MASTER, b'12345678')


def test_bad_keys_refused():
    with pytest.raises(cc.CardKeyError):
        cc.retail_mac(bytes(8), b'x')
    with pytest.raises(cc.CardKeyError):
        cc.retail_mac(bytes(16), b'x')  # equal halves: single DES
