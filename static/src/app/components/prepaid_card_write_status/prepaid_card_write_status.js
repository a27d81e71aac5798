import { Component, onMounted, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { usePos } from "@point_of_sale/app/hooks/pos_hook";
import { JOB_RECHECK_MS } from "@prepaid_electricity/app/services/pos_store";
import { Wakeup } from "@prepaid_electricity/app/utils/wakeup";
import { serverErrorMessage } from "@prepaid_electricity/app/utils/server_error";

const FINISHED = ["done", "failed", "expired"];

/**
 * After payment: the card write of each vend of the order, followed until the bridge reports
 * the result: each change of their card jobs comes by the bus (see PosStore.prepaidOnCardJob).
 * A failed or timed-out write leaves the vend waiting; "Retry" writes the same image again
 * (never a new credit).
 */
export class PrepaidCardWriteStatus extends Component {
    static template = "prepaid_electricity.PrepaidCardWriteStatus";
    static props = { order: Object };

    setup() {
        this.pos = usePos();
        this.state = useState({ statuses: [], error: "", retrying: false });
        this.wakeup = new Wakeup();
        this.following = false;
        this.unmounted = false;
        const stop = this.pos.prepaidOnCardJob((message) => {
            if (message.vend_id && this.vendIds.includes(message.vend_id)) {
                this.wakeup.wake();
            }
        });
        onMounted(() => this.follow());
        onWillUnmount(() => {
            stop();
            this.unmounted = true;
            this.wakeup.cancel();
        });
    }

    /** The lines whose vend goes onto a card (a remote account's top-up has no card). */
    get cardLines() {
        return this.props.order.lines.filter((line) => line.prepaid_account_id && !line.isPrepaidTopUp);
    }

    get vendIds() {
        return this.cardLines.map((line) => line.prepaid_vend_id?.id).filter(Boolean);
    }

    get hasElectricity() {
        return this.cardLines.length > 0;
    }

    isFinished(status) {
        return status.state !== "to_write" || !status.job_id || FINISHED.includes(status.job_state);
    }

    label(status) {
        if (status.state === "written") {
            return _t("Card written");
        }
        if (!status.job_id) {
            return _t("Waiting for card write: no card bridge on this POS");
        }
        if (status.job_state === "pending") {
            return _t("Waiting for the card bridge…");
        }
        if (status.job_state === "sent") {
            return _t("Writing the card…");
        }
        return _t("Card write failed: %s", status.error || _t("no answer from the card bridge"));
    }

    get finished() {
        return this.state.statuses.every((status) => this.isFinished(status)) && !this.state.error;
    }

    async poll() {
        const ids = this.vendIds;
        if (!ids.length) {
            return;
        }
        try {
            this.state.statuses = await this.pos.prepaidCall("prepaid_write_status", ids);
            this.state.error = "";
        } catch (error) {
            this.state.error = serverErrorMessage(error);
        }
    }

    /** Look again at each bus message about these vends' jobs, until every write is finished. */
    async follow() {
        if (this.following) {
            return this.wakeup.wake();
        }
        this.following = true;
        try {
            await this.poll();
            while (this.vendIds.length && !this.finished && !this.unmounted) {
                await this.wakeup.sleep(JOB_RECHECK_MS);
                if (!this.unmounted) {
                    await this.poll();
                }
            }
        } finally {
            this.following = false;
        }
    }

    async retry(status) {
        this.state.retrying = true;
        try {
            await this.pos.prepaidCall("prepaid_write_vend", status.vend_id);
            this.state.error = "";
        } catch (error) {
            this.state.error = serverErrorMessage(error);
        } finally {
            this.state.retrying = false;
        }
        await this.follow();
    }
}
