"""SLE4442 memory cards through ACS-style pseudo-APDUs (ACR38U-CCID, ACR39U and
compatibles), over PC/SC with pyscard."""
import logging

from .base import CardDriver, CardError

_logger = logging.getLogger(__name__)

SELECT_SLE4442 = [0xFF, 0xA4, 0x00, 0x00, 0x01, 0x06]
TRIES = {0x07: 3, 0x03: 2, 0x01: 1, 0x00: 0}
SERIAL_ADDRESS, SERIAL_LENGTH = 0x08, 8


class Sle4442AcsDriver(CardDriver):

    def __init__(self, reader):
        self.reader = reader
        self.connection = None

    def connect(self, exclusive=False):
        """Connect (shared with other PC/SC clients, or `exclusive`ly) and select the card type."""
        mode = None
        if exclusive:
            from smartcard.scard import SCARD_SHARE_EXCLUSIVE
            mode = SCARD_SHARE_EXCLUSIVE
        # Keep the connection object: pyscard's connect() fails when it is garbage-collected.
        self.connection = self.reader.createConnection()
        try:
            self.connection.connect(mode=mode)
        except Exception as error:  # pyscard raises its own exception classes per platform
            raise CardError(f"no card in {self.reader}: {error}") from error
        self._transmit(SELECT_SLE4442, "select SLE4442")

    def disconnect(self):
        if self.connection is not None:
            try:
                self.connection.disconnect()
            finally:
                self.connection = None

    def _transmit(self, apdu, what):
        try:
            data, sw1, sw2 = self.connection.transmit(list(apdu))
        except Exception as error:
            raise CardError(f"card removed or reader error during {what}: {error}") from error
        if what == 'present PSC':
            return data, sw1, sw2
        if (sw1, sw2) != (0x90, 0x00):
            raise CardError(f"{what} failed: status {sw1:02X}{sw2:02X}")
        return bytes(data)

    def read(self, address, length):
        out = b''
        while length > 0:
            chunk = min(length, 0xF8)
            out += self._transmit([0xFF, 0xB0, 0x00, address, chunk], "read")
            address += chunk
            length -= chunk
        return out

    def serial(self):
        return self.read(SERIAL_ADDRESS, SERIAL_LENGTH)

    def error_counter(self):
        data = self._transmit([0xFF, 0xB1, 0x00, 0x00, 0x04], "read error counter")
        return TRIES.get(data[0] & 0x07, 0)

    def present_psc(self, psc):
        _data, sw1, sw2 = self._transmit([0xFF, 0x20, 0x00, 0x00, 0x03, *psc], 'present PSC')
        if sw1 != 0x90:
            raise CardError(f"present PSC failed: status {sw1:02X}{sw2:02X}")
        return TRIES.get(sw2 & 0x07, 0)

    def write(self, address, data):
        for offset in range(0, len(data), 0xF0):
            part = data[offset:offset + 0xF0]
            self._transmit([0xFF, 0xD0, 0x00, address + offset, len(part), *part], "write")

    def change_psc(self, psc):
        self._transmit([0xFF, 0xD2, 0x00, 0x01, 0x03, *psc], "change PSC")

    def read_protection(self):
        return self._transmit([0xFF, 0xB2, 0x00, 0x00, 0x04], "read protection bits")

    def burn_protection(self, address, data):
        """Write-protect bytes of the first 32 for good (they must already hold `data`)."""
        self._transmit([0xFF, 0xD1, 0x00, address, len(data), *data], "burn protection")


def card_serial(reader):
    """The serial (hex) of the SLE4442 in `reader`, '' when there is no card (or no answer)."""
    driver = Sle4442AcsDriver(reader)
    try:
        driver.connect()
        return driver.serial().hex()
    except CardError:
        return ''
    finally:
        driver.disconnect()
