import { _t } from "@web/core/l10n/translation";
import { KioskScreen } from "@prepaid_electricity/kiosk/kiosk_hook";

/** The kiosk sells nothing now: the server's reason, full screen. */
export class KioskOutOfService extends KioskScreen {
    static template = "prepaid_electricity.KioskOutOfService";

    get texts() {
        return { title: _t("Sorry, this kiosk is not selling electricity now.") };
    }
}
