import { _t } from "@web/core/l10n/translation";
import { PrepaidCardJobPopup } from "@prepaid_electricity/app/components/popup/prepaid_card_job_popup/prepaid_card_job_popup";

/** Reissue the customer's card (managers; the server checks the role) on a blank card. */
export class PrepaidReissueCardPopup extends PrepaidCardJobPopup {
    static template = "prepaid_electricity.PrepaidReissueCardPopup";

    get title() {
        return _t("Reissue on Blank Card");
    }

    get busyLabel() {
        return _t("Reissuing the card…");
    }

    startJob() {
        return this.pos.prepaidCall("prepaid_reissue_card", this.props.account.id);
    }
}
