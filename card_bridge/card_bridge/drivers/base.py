class CardError(Exception):
    """A card operation failed; the message is for the operator."""


class CardDriver:
    """One kind of card in one reader. SLE4442 memory cards first; a CPU-card driver
    (ISO 7816-4 APDUs) implements the same methods."""

    size = 256

    def connect(self):
        raise NotImplementedError

    def disconnect(self):
        raise NotImplementedError

    def serial(self):
        raise NotImplementedError

    def read(self, address, length):
        raise NotImplementedError

    def error_counter(self):
        """PSC tries left (3 on a healthy card, 0 when locked)."""
        raise NotImplementedError

    def present_psc(self, psc):
        """Present the PSC once; returns the tries left (3 means accepted). Never retried."""
        raise NotImplementedError

    def write(self, address, data):
        raise NotImplementedError

    def change_psc(self, psc):
        raise NotImplementedError
