"""card_bridge: runs card jobs signed by the prepaid_electricity server on a local PC/SC
reader. Outbound only (it long-polls the server and listens on no port), holds no card
keys, and never imports Odoo."""
__version__ = '19.0.1.0.0'
