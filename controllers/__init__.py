from . import card_bridge
