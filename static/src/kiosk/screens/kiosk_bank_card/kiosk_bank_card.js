import { _t } from "@web/core/l10n/translation";
import { KioskScreen } from "@prepaid_electricity/kiosk/kiosk_hook";

/** The bank card payment on the terminal (paying), and how it ended when it sold nothing
 * (declined; voided, or being voided because the server refused the vend). */
export class KioskBankCard extends KioskScreen {
    static template = "prepaid_electricity.KioskBankCard";
    static props = { screen: String };

    get texts() {
        return {
            pay: _t("Insert or tap your bank card on the terminal and enter your PIN."),
            amount: _t("Amount to pay"),
            follow: _t("Follow the instructions on the terminal. This screen moves on by itself."),
            declined: _t("Your bank card payment was declined."),
            declinedHint: _t("Nothing was bought and your card was not charged. You can try again or pay another way."),
            voided: _t("The payment was voided on the terminal."),
            voidedHint: _t("Your purchase could not be made, so your bank card is not charged."),
            voiding: _t("Your purchase could not be made: the payment is being cancelled on the terminal. Please wait."),
            back: _t("Back"),
        };
    }

    back() {
        this.kiosk.finish();
    }
}
