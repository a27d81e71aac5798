import { _t } from "@web/core/l10n/translation";
import { PrepaidCardJobPopup } from "@prepaid_electricity/app/components/popup/prepaid_card_job_popup/prepaid_card_job_popup";

/** Issue the first card (operators, part of account opening) on the blank card in the reader. */
export class PrepaidIssueCardPopup extends PrepaidCardJobPopup {
    static template = "prepaid_electricity.PrepaidIssueCardPopup";

    get title() {
        return _t("Issue Card on Blank Card");
    }

    get busyLabel() {
        return _t("Issuing the card…");
    }

    startJob() {
        return this.pos.prepaidCall("prepaid_issue_card", this.props.account.id);
    }
}
