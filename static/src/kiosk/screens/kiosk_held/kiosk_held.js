import { _t } from "@web/core/l10n/translation";
import { KioskScreen } from "@prepaid_electricity/kiosk/kiosk_hook";

/** Cash taken but no vend made (the server refused it): the money is kept for an operator. */
export class KioskHeld extends KioskScreen {
    static template = "prepaid_electricity.KioskHeld";

    get texts() {
        return {
            title: _t("Your money is kept safely."),
            goToStation: _t("Please go to a vending station with your card and this reference. The staff will sell you the electricity or give your money back."),
            reference: _t("Reference"),
            inserted: _t("Money inserted"),
            takeCard: _t("Please take your card."),
        };
    }
}
