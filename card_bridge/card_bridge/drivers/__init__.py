"""Reader drivers behind one interface (see base.CardDriver)."""
from .base import CardError


def list_readers():
    """The PC/SC readers, or a CardError saying why there are none to ask (no pcscd...)."""
    from smartcard.System import readers    # imported late: `pair`, `--help` and the chip work without pcscd
    try:
        return readers()
    except Exception as error:              # pyscard raises its own classes
        raise CardError(f"cannot list the PC/SC readers (is pcscd running?): {error}") from error
