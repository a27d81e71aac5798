"""The virtual SLE4442 lives in the card bridge package (card_bridge/sle4442.py), where the
emulator behind vpcd and the tests share it. This alias only keeps the tests that still
import it from here working until they import card_bridge.sle4442 themselves."""
from card_bridge.sle4442 import VirtualSle4442  # noqa: F401
