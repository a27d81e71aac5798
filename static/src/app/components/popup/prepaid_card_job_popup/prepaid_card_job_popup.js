import { Component, useState } from "@odoo/owl";
import { Dialog } from "@web/core/dialog/dialog";
import { _t } from "@web/core/l10n/translation";
import { usePos } from "@point_of_sale/app/hooks/pos_hook";
import { serverErrorMessage } from "@prepaid_electricity/app/utils/server_error";

/**
 * What the card operation dialogs of the vending screen share: the operator confirms, the
 * server queues the card job on this till's bridge (`startJob`, a `prepaid_` method of the
 * till), and the dialog follows the job (its changes come by the bus) until the bridge has
 * answered. A job that did not complete can be started again; the server decides what that
 * writes. Each subclass is one operation, with its own template around this one's.
 */
export class PrepaidCardJobPopup extends Component {
    static components = { Dialog };
    static props = { account: Object, getPayload: Function, close: Function };

    setup() {
        this.pos = usePos();
        this.state = useState({ busy: "", error: "", message: "", done: false });
    }

    /** The dialog's title, and its confirm button unless `confirmLabel` says otherwise. */
    get title() {
        return "";
    }

    get confirmLabel() {
        return this.title;
    }

    /** What the dialog says while the job runs. */
    get busyLabel() {
        return _t("Writing the card…");
    }

    /** Ask the server for the job: resolves to `{job_id}`. */
    startJob() {
        throw new Error("not implemented");
    }

    async confirm() {
        this.state.busy = this.busyLabel;
        this.state.error = "";
        this.state.message = "";
        try {
            const { job_id } = await this.startJob();
            const status = await this.pos.prepaidWaitJob(job_id);
            if (status.state === "done") {
                this.state.done = true;
                this.state.message = _t("The card has been written.");
            } else {
                this.state.error = status.error || _t("The card write did not complete.");
            }
        } catch (error) {
            this.state.error = serverErrorMessage(error);
        } finally {
            this.state.busy = "";
        }
    }
}
