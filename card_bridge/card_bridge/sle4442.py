"""A virtual SLE4442 memory card that behaves like the chip.

- 256 bytes of main memory (EEPROM), always readable. A blank card's user area reads FF.
- Bytes 0x00-0x1F are the factory area (ATR header 0xA2131091 at 0x00, the card serial at
  0x08-0x0F); their protection bits are burnt at the factory, so they can never be written.
- Protection memory: 32 bits, one per byte of 0x00-0x1F, read as 4 bytes, least significant
  bit first (bit 0 of the first byte is address 0x00). As on the chip, a bit at 1 means
  writable and 0 means write-protected for good: burning only clears bits, nothing sets
  them again. Burning a byte's bit needs the byte to hold the given value (the chip compares).
- Security memory: the 3-byte PSC (programmable security code) and the error counter (3
  tries). A wrong PSC costs a try; the right one resets the counter to 3 and unlocks writes
  until the card is powered off; at 0 tries the card is locked for good (still readable,
  never writable, the PSC is not even compared any more). The transport PSC of a new card is
  FFFFFF.
- Writes (main memory, protection, PSC) without a verified PSC are silently ignored, as on
  the chip; so are writes to protected bytes.

`to_bytes()` / `from_bytes()` keep the whole state (memory, protection, PSC, counter) so tests
and demos can persist a card.

Standard library only: `card-bridge emulate` plugs it into pcscd's vpcd driver
(card_bridge/vpcd.py), and the addon's tests and virtual meter use it as the card.
"""
import os

SIZE = 256
PROTECTED = 32                          # bytes covered by protection bits
SERIAL_SLICE = slice(0x08, 0x10)
ATR_HEADER = bytes.fromhex('A2131091')
TRANSPORT_PSC = b'\xff\xff\xff'
MAX_TRIES = 3
STATE_SIZE = SIZE + PROTECTED // 8 + 3 + 1
_COUNTER_BITS = {3: 0x07, 2: 0x03, 1: 0x01, 0: 0x00}


class VirtualSle4442:

    def __init__(self, serial=None, psc=TRANSPORT_PSC):
        serial = os.urandom(8) if serial is None else bytes(serial)
        if len(serial) != 8:
            raise ValueError("an SLE4442 serial here has 8 bytes")
        if len(bytes(psc)) != 3:
            raise ValueError("a PSC has 3 bytes")
        self.memory = bytearray(b'\xff' * SIZE)
        self.memory[0:4] = ATR_HEADER
        self.memory[4:8] = bytes(4)
        self.memory[SERIAL_SLICE] = serial
        self.memory[0x10:PROTECTED] = bytes(PROTECTED - 0x10)
        self.protection = bytearray(PROTECTED // 8)          # factory: all 32 bytes protected
        self.psc = bytes(psc)
        self.error_counter = MAX_TRIES
        self.unlocked = False

    @property
    def serial(self):
        return bytes(self.memory[SERIAL_SLICE])

    @property
    def is_locked(self):
        """The error counter reached zero: the card can never be written again."""
        return self.error_counter == 0

    def is_protected(self, address):
        return address < PROTECTED and not self.protection[address // 8] & (1 << (address % 8))

    @staticmethod
    def _check_range(address, length, what):
        if not isinstance(address, int) or not isinstance(length, int) or address < 0 or length < 0 \
                or address + length > SIZE:
            raise ValueError(f"{what} outside the card")

    # --- chip commands ---------------------------------------------------------------------
    def read(self, address, length):
        """Read main memory (always allowed)."""
        self._check_range(address, length, "read")
        return bytes(self.memory[address:address + length])

    def read_error_counter(self):
        """Tries left: 3, 2, 1 or 0 (locked)."""
        return self.error_counter

    def read_protection(self):
        """The 32 protection bits as 4 bytes (bit = 1 writable, 0 protected)."""
        return bytes(self.protection)

    def read_security_memory(self):
        """The chip's 4-byte security memory: the error counter bits, then the PSC, which
        reads as 000000 unless it was verified since power-on."""
        return bytes([_COUNTER_BITS[self.error_counter]]) + (self.psc if self.unlocked else bytes(3))

    def present_psc(self, psc):
        """Compare a PSC; returns the tries left afterwards (3 = accepted). A locked card
        compares nothing and answers 0."""
        if self.error_counter == 0:
            return 0
        self.error_counter -= 1                  # the chip spends a try first...
        if bytes(psc) == self.psc:
            self.error_counter = MAX_TRIES       # ...and gives it back on the right PSC
            self.unlocked = True
        else:
            self.unlocked = False
        return self.error_counter

    def write(self, address, data):
        """Update main memory; silently ignored without a verified PSC and on protected bytes."""
        data = bytes(data)
        self._check_range(address, len(data), "write")
        if not self.unlocked:
            return
        for offset, byte in enumerate(data):
            if not self.is_protected(address + offset):
                self.memory[address + offset] = byte

    def change_psc(self, new_psc):
        """Set a new PSC: only after verification, and only with 3 bytes. Returns whether the
        chip took it."""
        new_psc = bytes(new_psc)
        if not self.unlocked or len(new_psc) != 3:
            return False
        self.psc = new_psc
        return True

    def burn_protection(self, address, data):
        """Write-protect bytes of 0x00-0x1F for good: the chip burns the bit of each byte
        that holds the given value (needs a verified PSC)."""
        data = bytes(data)
        self._check_range(address, len(data), "burn")
        if not self.unlocked:
            return
        for offset, byte in enumerate(data):
            target = address + offset
            if target < PROTECTED and self.memory[target] == byte:
                self.protection[target // 8] &= ~(1 << (target % 8)) & 0xFF

    def power_off(self):
        """Pull the card: the PSC must be presented again."""
        self.unlocked = False

    # --- persistence for demos and tests ---------------------------------------------------
    def to_bytes(self):
        """memory (256) ‖ protection (4) ‖ PSC (3) ‖ error counter (1)."""
        return bytes(self.memory) + bytes(self.protection) + self.psc + bytes([self.error_counter])

    @classmethod
    def from_bytes(cls, state):
        state = bytes(state)
        if len(state) != STATE_SIZE or state[-1] > MAX_TRIES:
            raise ValueError("not a saved SLE4442 state")
        card = cls.__new__(cls)
        card.memory = bytearray(state[:SIZE])
        card.protection = bytearray(state[SIZE:SIZE + PROTECTED // 8])
        card.psc = state[SIZE + PROTECTED // 8:SIZE + PROTECTED // 8 + 3]
        card.error_counter = state[-1]
        card.unlocked = False
        return card
