"""An SLE4442 in a PC/SC reader seen as the chip itself: the methods of
card_bridge.sle4442.VirtualSle4442 that a meter uses (read, read_error_counter, present_psc,
write, power_off). With it a virtual meter takes a card through a reader the way a real
meter's card slot does: alone (exclusive PC/SC access: meanwhile a bridge on the same reader
sees no card), and powering the card off when it is done with it."""
import time

from .drivers import list_readers
from .drivers.base import CardError
from .drivers.sle4442_acs import Sle4442AcsDriver


def find_reader(name):
    """The PC/SC reader called exactly `name`, or a CardError that lists the readers."""
    found = list_readers()
    for reader in found:
        if str(reader) == name:
            return reader
    raise CardError(f"no reader named {name!r}; readers: {', '.join(map(str, found)) or 'none'}")


class ReaderChip:

    def __init__(self, reader, wait=5.0):
        self.driver = Sle4442AcsDriver(reader)
        self.wait = wait                        # seconds to wait for another client to let go
        self.connected = False

    def _card(self):
        if not self.connected:
            deadline = time.monotonic() + self.wait
            while True:
                try:
                    self.driver.connect(exclusive=True)
                    break
                except CardError:
                    if time.monotonic() >= deadline:
                        raise
                    time.sleep(0.2)             # a bridge may be reading the card right now
            self.connected = True
        return self.driver

    @property
    def serial(self):
        return self._card().serial()

    def read(self, address, length):
        return self._card().read(address, length)

    def read_error_counter(self):
        return self._card().error_counter()

    def present_psc(self, psc):
        return self._card().present_psc(psc)

    def write(self, address, data):
        self._card().write(address, bytes(data))

    def change_psc(self, new_psc):
        self._card().change_psc(bytes(new_psc))
        return True

    def power_off(self):
        """Let the card go (PC/SC powers it off): the PSC must be presented again."""
        if self.connected:
            self.connected = False
            self.driver.disconnect()
