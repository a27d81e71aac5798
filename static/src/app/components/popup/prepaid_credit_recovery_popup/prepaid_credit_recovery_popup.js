import { useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { PrepaidCardJobPopup } from "@prepaid_electricity/app/components/popup/prepaid_card_job_popup/prepaid_card_job_popup";

/**
 * Credit recovery (managers; the server checks the role and verifies the claim against the
 * cumulative purchased energy the meter wrote back), then the recovered credit is written.
 */
export class PrepaidCreditRecoveryPopup extends PrepaidCardJobPopup {
    static template = "prepaid_electricity.PrepaidCreditRecoveryPopup";

    setup() {
        super.setup();
        const writeback = this.props.account.writeback;
        this.input = useState({ meterCumulative: writeback ? String(writeback.cumulative) : "" });
    }

    get title() {
        return _t("Credit Recovery");
    }

    get confirmLabel() {
        return _t("Recover and Write");
    }

    get busyLabel() {
        return _t("Recovering the credit…");
    }

    startJob() {
        return this.pos.prepaidCall("prepaid_recover_credit", this.props.account.id, this.input.meterCumulative);
    }
}
