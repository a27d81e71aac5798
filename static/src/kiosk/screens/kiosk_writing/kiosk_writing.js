import { _t } from "@web/core/l10n/translation";
import { KioskScreen } from "@prepaid_electricity/kiosk/kiosk_hook";

/** The purchase being written onto the card (after payment, or a re-vend); or the card left
 * the reader before it was written: it is to be inserted again. */
export class KioskWriting extends KioskScreen {
    static template = "prepaid_electricity.KioskWriting";
    static props = { screen: String };

    get texts() {
        return {
            writing: _t("Writing your card. Do not remove it."),
            making: _t("Thank you. Your purchase is being made. Do not remove your card."),
            slow: _t("This is taking longer than usual. If nothing happens, take your card out and insert it again."),
            failed: _t("Your card was not written."),
            failedHint: _t("Insert it again to write your purchase. You will not pay again."),
            purchase: _t("Purchase"),
            energy: _t("Energy"),
            amount: _t("Amount"),
        };
    }

    /** What is being written: the purchase's vend, or the waiting vend of a re-vend. */
    get vend() {
        return this.transaction?.vend || this.kiosk.revending || false;
    }
}
