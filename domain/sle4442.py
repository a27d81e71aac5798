"""A virtual SLE4442 memory card that behaves like the chip.

256 bytes of EEPROM; the first 32 bytes are guarded by protection bits that can only be
burnt, never cleared; writes need the 3-byte PSC to have been presented; a wrong PSC costs
one of three tries and a card whose error counter reaches zero is locked for good (it can
still be read); the right PSC resets the counter to 3. Writes without the PSC are silently
ignored, as on the chip."""
import os

# Self-contained on purpose (no imports): card_bridge loads this file to emulate a card.
SERIAL_SLICE = slice(0x08, 0x10)

SIZE = 256
PROTECTED = 32
TRANSPORT_PSC = b'\xff\xff\xff'


class VirtualSle4442:

    def __init__(self, serial=None, psc=TRANSPORT_PSC):
        self.memory = bytearray(b'\xff' * SIZE)
        # factory area: ATR-like header, manufacturer, and the serial at 0x08-0x0F
        self.memory[0:4] = bytes.fromhex('A2131091')
        self.memory[4:8] = b'\x00\x00\x00\x00'
        self.memory[SERIAL_SLICE] = serial if serial is not None else os.urandom(8)
        self.memory[0x10:PROTECTED] = bytes(PROTECTED - 0x10)
        self.protection = bytearray(b'\x00' * (PROTECTED // 8))   # 1 bit per byte, 1 = burnt
        for address in range(PROTECTED):
            self._burn_bit(address)
        self.psc = bytes(psc)
        self.error_counter = 3
        self.unlocked = False

    @property
    def serial(self):
        return bytes(self.memory[SERIAL_SLICE])

    def _burn_bit(self, address):
        self.protection[address // 8] |= 1 << (address % 8)

    def _is_protected(self, address):
        return address < PROTECTED and bool(self.protection[address // 8] & (1 << (address % 8)))

    # --- chip commands -----------------------------------------------------------------------
    def read(self, address, length):
        if address < 0 or length < 0 or address + length > SIZE:
            raise ValueError("read outside the card")
        return bytes(self.memory[address:address + length])

    def read_error_counter(self):
        return self.error_counter

    def read_protection(self):
        return bytes(self.protection)

    def present_psc(self, psc):
        """Compare the PSC; returns the error counter after the attempt (3 = accepted)."""
        if self.error_counter == 0:
            return 0
        if bytes(psc) == self.psc:
            self.error_counter = 3
            self.unlocked = True
        else:
            self.error_counter -= 1
            self.unlocked = False
        return self.error_counter

    def write(self, address, data):
        """Write bytes; ignored without a presented PSC and on protected bytes."""
        if address < 0 or address + len(data) > SIZE:
            raise ValueError("write outside the card")
        if not self.unlocked:
            return
        for offset, byte in enumerate(data):
            if not self._is_protected(address + offset):
                self.memory[address + offset] = byte

    def change_psc(self, new_psc):
        if self.unlocked and len(new_psc) == 3:
            self.psc = bytes(new_psc)

    def burn_protection(self, address, data):
        """Burn the protection bit of bytes whose content matches `data` (chip semantics)."""
        if not self.unlocked:
            return
        for offset, byte in enumerate(data):
            target = address + offset
            if target < PROTECTED and self.memory[target] == byte:
                self._burn_bit(target)

    def power_off(self):
        self.unlocked = False

    # --- persistence for demos and tests --------------------------------------------------------
    def to_bytes(self):
        return bytes(self.memory) + bytes(self.protection) + self.psc + bytes([self.error_counter])

    @classmethod
    def from_bytes(cls, state):
        card = cls.__new__(cls)
        card.memory = bytearray(state[:SIZE])
        card.protection = bytearray(state[SIZE:SIZE + 4])
        card.psc = bytes(state[SIZE + 4:SIZE + 7])
        card.error_counter = state[SIZE + 7]
        card.unlocked = False
        return card
