"""What the kiosk's devices other than the card reader share: the error a device raises, with
a short code the server records (jam, cashbox_full, fraud, paper_out, offline, declined...)."""


class DeviceError(Exception):
    """A device failed; `code` is what the server and the dashboard show, the message is for logs."""

    def __init__(self, code, message=''):
        self.code = code
        super().__init__(message or code)
