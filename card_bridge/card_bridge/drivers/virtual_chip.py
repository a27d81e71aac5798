"""The bridge's card driver interface straight over a virtual SLE4442 chip, with no reader in
between: the server's tests and benchmarks run the bridge's runner on a card this way when
pcscd is beside the point (issuing a card before a test, say)."""
from .base import CardDriver


class VirtualChipDriver(CardDriver):

    def __init__(self, chip):
        self.chip = chip

    def connect(self):
        pass

    def disconnect(self):
        self.chip.power_off()

    def serial(self):
        return self.chip.serial

    def read(self, address, length):  # pylint: disable=method-required-super  # a card driver, not a model
        return self.chip.read(address, length)

    def error_counter(self):
        return self.chip.read_error_counter()

    def present_psc(self, psc):
        return self.chip.present_psc(psc)

    def write(self, address, data):  # pylint: disable=method-required-super  # a card driver, not a model
        self.chip.write(address, data)

    def change_psc(self, psc):
        self.chip.change_psc(psc)
