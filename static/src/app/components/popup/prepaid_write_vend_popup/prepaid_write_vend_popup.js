import { _t } from "@web/core/l10n/translation";
import { PrepaidCardJobPopup } from "@prepaid_electricity/app/components/popup/prepaid_card_job_popup/prepaid_card_job_popup";

/**
 * Write Card Again: the vend waiting for its card write, or else the last one while its credit
 * is still on the card, written again: the same image, never a new credit.
 */
export class PrepaidWriteVendPopup extends PrepaidCardJobPopup {
    static template = "prepaid_electricity.PrepaidWriteVendPopup";

    get title() {
        return _t("Write Card Again");
    }

    get vendId() {
        const account = this.props.account;
        return account.waiting_vend_id || account.last_vend?.id;
    }

    startJob() {
        return this.pos.prepaidCall("prepaid_write_vend", this.vendId);
    }
}
