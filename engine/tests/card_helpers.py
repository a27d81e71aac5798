"""A station, its keys and a server-side writer for the pure-Python card tests."""
from decimal import Decimal as D

from card_bridge.sle4442 import VirtualSle4442
from engine import card_crypto as cc
from engine import card_format as cf

STATION = '310101'
KEYS = {(STATION, 1): bytes.fromhex('00112233445566778899AABBCCDDEEFF'),
        (STATION, 2): bytes.fromhex('0F1E2D3C4B5A69788796A5B4C3D2E1F0'),
        ('999999', 1): bytes.fromhex('FFEEDDCCBBAA99887766554433221100')}


def key_lookup(station, version):
    return KEYS.get((station, version))


def image(sequence=1, credit='61', station=STATION, key_version=1, **kw):
    return cf.CardImage(station_code=station, customer_number='000000000001', meter_number='000012345678',
                        sequence=sequence, credit=D(credit), alarm=D(20), pretrip=D(10), hoarding=D(9999),
                        price=D('2.0000'), issued_at=1_700_000_000, terminal=1, preset=D(20),
                        key_version=key_version, **kw)


def write(card, img, present_key_version=None):
    """What the server asks the bridge to do: present the card PSC (transport on a blank
    card), write the image, set the card PSC."""
    master = KEYS[(img.station_code, img.key_version)]
    if card.psc == cc.TRANSPORT_PSC:
        card.present_psc(cc.TRANSPORT_PSC)
    else:
        old = KEYS[(img.station_code, present_key_version or img.key_version)]
        card.present_psc(cc.derive_psc(old, card.serial))
    for address, data in cf.encode(img, card.serial, cc.diversify(master, img.station_code, card.serial)).items():
        card.write(address, data)
    card.change_psc(cc.derive_psc(master, card.serial))
    card.power_off()


def new_card(serial=b'\x10\x20\x30\x40\x50\x60\x70\x80'):
    return VirtualSle4442(serial=serial)
