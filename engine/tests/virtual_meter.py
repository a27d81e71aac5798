"""A virtual prepaid meter that does with a card what a real one does.

A test and demo double, not a rule of the engine: it lives with the engine's tests, which
share it with the addon's tests and the demo's `make meter` (relative imports, so it is
the same module whether the engine is imported standalone or as part of the addon).

A card here is anything with the chip's commands (read, read_error_counter, present_psc,
write, power_off): card_bridge.sle4442.VirtualSle4442 itself, or card_bridge.reader_chip's
ReaderChip for a card in a PC/SC reader (the demo's `make meter`, scripts/virtual_meter.py).

On insertion (`insert(card)`) the meter reads the whole card and decodes it with the keys of
its station (a real meter holds its station's master keys, every key version; the card says
which one it was written with). Then, for a **purchase card**, it checks the station, the
meter number, the credit unit and, when the credit is valid, that the purchase sequence is
the next one; refuses a credit that would exceed the hoarding limit; credits
net = credit - preset (first purchase only) - over-zero energy; takes its alarm, pre-trip
and hoarding levels and price from the card; marks the credit consumed and writes its data
back (remaining, over-zero, cumulative purchased, total consumption, insert count, last
purchase, status, time, its meter number and the last accepted sequence). A consumed card
only gets a fresh write-back (the customer shows the card to the station).

Torn insertions are safe: the meter credits first, then flips the card's flag, then writes
the write-back. A card pulled in between still shows valid credit; inserted again into the
same meter it is recognised (same card serial, same sequence) and only marked consumed, never
credited twice. The same purchase on another card (an old card after a reissue) is refused.

**Special cards**: a clear card resets the purchase registers (new meter before a meter
replacement's first card), a preset card sets the preset energy (its credit field), a
parameter card sets the alarm / pre-trip / hoarding levels and the price, CT and PT; a check
card changes nothing. Each gets a write-back. Special cards with meter number 0 are for
every meter of the station.

`consume(energy)` uses energy; past zero it accrues as over-zero energy (relay fault). On a
money-credit meter the credit is money and energy costs the card's price.

Refusals raise `MeterRefused` (code, translatable message, params), or `CardRefused` from
the decoder; the card and the meter are then left as they were.
"""
from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from .. import card_format
from ..card_crypto import derive_psc
from ..card_format import STATUS_ALARM, STATUS_NORMAL, STATUS_PRETRIP, STATUS_TRIPPED, KeyLookup, WriteBack
from ..messages import Refusal, _lt

ZERO = Decimal(0)
_NOT_KEPT = ('key_lookup', 'log')


class Card(Protocol):
    """The chip's commands the meter uses (card_bridge's VirtualSle4442, or a chip in a reader)."""
    # pylint: disable=method-required-super  # a chip's read and write, not a model's

    def read(self, address: int, length: int) -> bytes: ...
    def read_error_counter(self) -> int: ...
    def present_psc(self, psc: bytes) -> int: ...     # the tries left: 3 = accepted
    def write(self, address: int, data: bytes) -> None: ...
    def power_off(self) -> None: ...


class MeterRefused(Refusal):
    """A card the meter will not take (a Refusal): `code` 'foreign_station', 'wrong_meter',
    'wrong_sequence', 'below_deductions', 'hoarding', 'wrong_unit' or 'psc'."""


@dataclass
class InsertResult:
    """What an insertion did (see `VirtualMeter.insert_card`)."""
    card_type: str
    credited: Decimal = ZERO             # net credit added to the meter
    already_credited: bool = False       # the same purchase card again after a torn insertion
    write_back: WriteBack | None = None


@dataclass
class VirtualMeter:
    station_code: str
    meter_number: str
    key_lookup: KeyLookup                # (station code, key version) -> master key or None
    preset: Decimal = Decimal(20)        # factory preset, deducted from the first purchase
    hoarding: Decimal = Decimal(9999)
    alarm: Decimal = Decimal(20)
    pretrip: Decimal = Decimal(10)
    price: Decimal = ZERO                # per kWh, from the last card (money-credit meters)
    ct_ratio: int = 1
    pt_ratio: int = 1
    credit_unit: str = 'energy'          # 'energy' (kWh) or 'money'
    remaining: Decimal = ZERO            # a new meter holds its preset: pass remaining=preset
    over_zero: Decimal = ZERO
    cumulative_purchased: Decimal = ZERO  # net credit received
    total_consumption: Decimal = ZERO     # kWh
    insert_count: int = 0
    last_sequence: int = 0
    last_purchase: Decimal = ZERO
    last_card_serial: bytes = b''
    clock: int = 0                        # meter time, seconds; each insertion ticks it
    log: list[InsertResult] = field(default_factory=list)

    # --- keeping a meter between runs (the demo's `make meter`) ------------------------------
    def to_state(self) -> dict[str, str | int]:
        """The meter's settings and registers as JSON-ready values (not its keys, not its log)."""
        state = {}
        for spec in fields(self):
            if spec.name in _NOT_KEPT:
                continue
            value = getattr(self, spec.name)
            state[spec.name] = value.hex() if isinstance(value, bytes) else \
                str(value) if isinstance(value, Decimal) else value
        return state

    @classmethod
    def from_state(cls, state: dict[str, str | int], key_lookup: KeyLookup) -> 'VirtualMeter':
        """The meter `to_state` kept, holding the station's keys again."""
        values = {}
        for spec in fields(cls):
            if spec.name in _NOT_KEPT or spec.name not in state:
                continue
            value = state[spec.name]
            values[spec.name] = bytes.fromhex(value) if spec.type is bytes else \
                Decimal(value) if spec.type is Decimal else value
        return cls(key_lookup=key_lookup, **values)

    # --- metering ------------------------------------------------------------------------
    def consume(self, energy: Decimal | int | str) -> None:
        """Use `energy` kWh; beyond zero credit it accrues as over-zero (relay fault)."""
        energy = Decimal(energy)
        if energy < 0:
            raise ValueError("energy used cannot be negative")
        self.total_consumption += energy
        cost = energy if self.credit_unit == 'energy' else \
            (energy * self.price).quantize(card_format.HUNDREDTH, ROUND_HALF_UP)
        self.remaining -= cost
        if self.remaining < 0:
            self.over_zero += -self.remaining
            self.remaining = ZERO

    def status(self) -> int:
        if self.remaining <= 0:
            return STATUS_TRIPPED
        if self.remaining <= self.pretrip:
            return STATUS_PRETRIP
        if self.remaining <= self.alarm:
            return STATUS_ALARM
        return STATUS_NORMAL

    # --- cards -----------------------------------------------------------------------------
    def insert(self, card: Card) -> Decimal:
        """Insert a card; returns the net credit added (0 for a consumed or special
        card). Raises MeterRefused or CardRefused (card and meter unchanged)."""
        return self.insert_card(card).credited

    def insert_card(self, card: Card) -> InsertResult:
        """Insert a card; returns an InsertResult."""
        raw = card.read(0, card_format.CARD_SIZE)
        decoded = card_format.decode(raw, self.key_lookup)
        image = decoded.image
        if image.station_code != str(self.station_code).rjust(6, '0'):
            raise MeterRefused('foreign_station', _lt("Meter: the card is of another station."))
        is_mine = image.meter_number.lstrip('0') == str(self.meter_number).lstrip('0')
        if image.card_type == 'purchase':
            if not is_mine:
                raise MeterRefused('wrong_meter', _lt("Meter: the card is for meter %(meter)s."),
                                   meter=image.meter_number)
            if image.credit_unit != self.credit_unit:
                raise MeterRefused('wrong_unit', _lt("Meter: the card's credit unit does not match the meter."))
            net, already = self._check_purchase(decoded)
        elif image.meter_number.strip('0') and not is_mine:
            raise MeterRefused('wrong_meter', _lt("Meter: the card is for meter %(meter)s."),
                               meter=image.meter_number)
        self._unlock(card, decoded)
        # from here on nothing is refused: credit, flip the flag, write back (in that order)
        result = InsertResult(image.card_type)
        if image.card_type == 'purchase':
            self.insert_count += 1
            result.already_credited = already
            if net is not None:
                self._credit(decoded, net)
                result.credited = net
        else:
            self._special(image)
        result.write_back = self._write_back(card, raw, decoded, consume=decoded.is_credit_valid)
        self.log.append(result)
        return result

    def _check_purchase(self, decoded):
        """(net credit or None, already credited) for a purchase card, or MeterRefused."""
        image = decoded.image
        if not decoded.is_credit_valid:
            return None, False                     # shown to the meter: write-back only
        if image.sequence == self.last_sequence and decoded.serial == self.last_card_serial:
            return None, True                      # pulled out last time before the flag flipped
        if image.sequence != self.last_sequence + 1:
            raise MeterRefused('wrong_sequence', _lt(
                "Meter: purchase %(sequence)s is not the next one (%(expected)s)."),
                sequence=image.sequence, expected=self.last_sequence + 1)
        preset = self.preset if image.sequence == 1 else ZERO
        net = image.credit - preset - self.over_zero
        if net < 0:
            raise MeterRefused('below_deductions', _lt("Meter: the credit does not cover the deductions."))
        if self.remaining + net > image.hoarding:
            raise MeterRefused('hoarding', _lt("Meter: the credit would exceed the hoarding limit."))
        return net, False

    def _unlock(self, card, decoded):
        """Present the card PSC (derived like the server does) before changing anything; a
        card that refuses it is refused without credit, and a card with one try or fewer
        left is not even tried (that could lock it for good)."""
        master = self.key_lookup(decoded.image.station_code, decoded.image.key_version)
        if card.read_error_counter() <= 1 or card.present_psc(derive_psc(master, decoded.serial)) != 3:
            card.power_off()
            raise MeterRefused('psc', _lt("Meter: the card refuses to be written (wrong PSC or locked card)."))

    def _credit(self, decoded, net):
        image = decoded.image
        self.remaining += net
        self.cumulative_purchased += net
        self.over_zero = ZERO
        self.last_sequence = image.sequence
        self.last_card_serial = decoded.serial
        self.last_purchase = image.credit
        self._take_parameters(image)

    def _take_parameters(self, image):
        self.alarm, self.pretrip, self.hoarding = image.alarm, image.pretrip, image.hoarding
        self.price, self.ct_ratio, self.pt_ratio = image.price, image.ct_ratio, image.pt_ratio

    def _special(self, image):
        if image.card_type == 'clear':           # 清零卡: a reset before a meter's first card
            self.remaining = self.over_zero = self.cumulative_purchased = self.last_purchase = ZERO
            self.last_sequence = 0
            self.last_card_serial = b''
        elif image.card_type == 'preset':
            self.preset = image.credit if image.credit else image.preset
        elif image.card_type == 'parameter':
            self._take_parameters(image)

    def _write_back(self, card, raw, decoded, consume):
        """Flag the credit consumed (purchase cards), then write the meter's data back over the
        older write-back copy (the card is unlocked). Returns the write-back read back."""
        card_key = card_format.card_key_for(decoded.serial, decoded.image, self.key_lookup)
        self.clock += 1
        write_back = WriteBack(
            remaining=self.remaining, over_zero=self.over_zero, cumulative_purchased=self.cumulative_purchased,
            total_consumption=self.total_consumption, insert_count=self.insert_count,
            last_purchase=self.last_purchase, status=self.status(), time=self.clock,
            meter_number=str(self.meter_number).rjust(12, '0')[-12:], sequence=self.last_sequence)
        if consume:
            for address, data in card_format.mark_consumed().items():
                card.write(address, data)
        for address, data in card_format.encode_write_back(raw, write_back, card_key).items():
            card.write(address, data)
        card.power_off()
        return card_format.decode_write_back(card.read(0, card_format.CARD_SIZE), card_key)
