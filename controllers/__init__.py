from . import card_bridge
from . import sales_report
from . import head_end
from . import kiosk
