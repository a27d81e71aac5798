from . import test_security
from . import test_account_operations
from . import test_vend_concurrency
from . import test_i18n
from . import test_cards
from . import test_accounting
from . import test_browser_ui
from . import test_http_card_bridge
