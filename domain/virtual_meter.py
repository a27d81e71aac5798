"""A virtual prepaid meter that does with a card what a real one does.

On insertion it decodes the card (station, meter number, MAC), checks that the purchase
sequence is the next one and that the credit is valid, refuses a credit that would exceed
its hoarding limit, adds the credit after the preset (first purchase) and over-zero
deductions, marks the credit consumed and writes its data back onto the card. It can be made
to consume energy so that vend -> insert -> read back -> next vend runs in tests."""
from dataclasses import dataclass, field
from decimal import Decimal

from . import card_crypto, card_format
from .card_format import CardRefused, WriteBack
from .messages import _lt

STATUS_OK, STATUS_ALARM, STATUS_TRIPPED = 0, 1, 2


class MeterRefused(Exception):
    def __init__(self, code, message, **params):
        self.code = code
        self.message = message
        self.params = params
        super().__init__(message % params if params else message)


@dataclass
class VirtualMeter:
    station_code: str
    meter_number: str
    key_lookup: object                  # (station code, key version) -> master key
    preset: Decimal = Decimal(20)
    hoarding: Decimal = Decimal(9999)
    remaining: Decimal = Decimal(0)
    over_zero: Decimal = Decimal(0)
    cumulative_purchased: Decimal = Decimal(0)   # net credit the meter received
    total_consumption: Decimal = Decimal(0)
    insert_count: int = 0
    last_sequence: int = 0
    last_purchase: Decimal = Decimal(0)
    clock: int = 0
    log: list = field(default_factory=list)

    def consume(self, energy):
        """Use energy; past zero it accrues as over-zero energy (relay fault)."""
        energy = Decimal(energy)
        self.total_consumption += energy
        self.remaining -= energy
        if self.remaining < 0:
            self.over_zero += -self.remaining
            self.remaining = Decimal(0)

    def _status(self):
        return STATUS_TRIPPED if self.remaining <= 0 else STATUS_OK

    def insert(self, card):
        """Insert a VirtualSle4442. Returns the credit added; raises MeterRefused or
        CardRefused (the card is left as it was)."""
        raw = card.read(0, card_format.CARD_SIZE)
        decoded = card_format.decode(raw, self.key_lookup)
        image = decoded.image
        if image.station_code != self.station_code:
            raise MeterRefused('foreign_station', _lt("Meter: the card is of another station."))
        if image.card_type != 'purchase':
            raise MeterRefused('not_purchase', _lt("Meter: not a purchase card."))
        if image.meter_number.lstrip('0') != self.meter_number.lstrip('0'):
            raise MeterRefused('wrong_meter', _lt("Meter: the card is for meter %(meter)s."),
                               meter=image.meter_number)
        self.insert_count += 1
        added = Decimal(0)
        if decoded.is_credit_valid:
            if image.sequence != self.last_sequence + 1:
                raise MeterRefused('wrong_sequence', _lt(
                    "Meter: purchase %(sequence)s is not the next one (%(expected)s)."),
                    sequence=image.sequence, expected=self.last_sequence + 1)
            preset = self.preset if image.sequence == 1 else Decimal(0)
            net = image.credit - preset - self.over_zero
            if net < 0:
                raise MeterRefused('below_deductions', _lt("Meter: the credit does not cover the deductions."))
            if self.remaining + net > image.hoarding:
                raise MeterRefused('hoarding', _lt("Meter: the credit would exceed the hoarding limit."))
            self.remaining += net
            self.cumulative_purchased += net
            self.over_zero = Decimal(0)
            self.last_sequence = image.sequence
            self.last_purchase = image.credit
            self.hoarding = image.hoarding
            added = net
        self._write_back(card, raw, decoded)
        return added

    def _write_back(self, card, raw, decoded):
        """Flag the credit consumed and write back the meter's data (needs the card PSC,
        which the meter derives like the server)."""
        master = self.key_lookup(decoded.image.station_code, decoded.image.key_version)
        card.present_psc(card_crypto.derive_psc(master, decoded.serial))
        self.clock += 1
        write_back = WriteBack(
            remaining=self.remaining, over_zero=self.over_zero,
            cumulative_purchased=self.cumulative_purchased, total_consumption=self.total_consumption,
            insert_count=self.insert_count, last_purchase=self.last_purchase, status=self._status(),
            time=self.clock)
        card.write(card_format.FLAG_ADDRESS, bytes([card_format.FLAG_CONSUMED]))
        for address, data in card_format.encode_write_back(raw, write_back).items():
            card.write(address, data)
        card.power_off()
