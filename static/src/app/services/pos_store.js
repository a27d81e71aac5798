import { patch } from "@web/core/utils/patch";
import { _t } from "@web/core/l10n/translation";
import { PosStore } from "@point_of_sale/app/services/pos_store";
import { AlertDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { Wakeup } from "@prepaid_electricity/app/utils/wakeup";

// Card job changes come by the bus (PREPAID_CARD_JOB). The slow re-check is for what no
// message tells: a job nobody took expires only when someone looks at it, and a message
// sent while the POS's websocket is down may come late.
export const JOB_RECHECK_MS = 5000;
const JOB_TIMEOUT_MS = 65000; // a job lives 55 s on the server; allow for the last re-check

patch(PosStore.prototype, {
    async initServerData() {
        this.prepaidJobListeners = new Set();
        this.data.connectWebSocket("PREPAID_CARD_JOB", (message) => {
            for (const listener of this.prepaidJobListeners) {
                listener(message);
            }
        });
        return await super.initServerData(...arguments);
    },

    /**
     * Call `listener({job_id, state, vend_id})` when a card job of this POS's bridge changes
     * state (sent to the bridge, done, failed, expired); returns the function that stops it.
     */
    prepaidOnCardJob(listener) {
        this.prepaidJobListeners.add(listener);
        return () => this.prepaidJobListeners.delete(listener);
    },

    /** The Electricity product (a special product: loaded, never shown in the grid). */
    get prepaidProduct() {
        return this.models["product.product"].get(this.config._prepaid_product_id);
    },

    get prepaidCanVend() {
        return Boolean(this.config._prepaid_can_vend && this.prepaidProduct);
    },

    /** Every vending question goes to the server, which alone applies the rules: a
     * `prepaid_` method of this till's `pos.config`. */
    prepaidCall(method, ...args) {
        return this.data.call("pos.config", method, [[this.config.id], ...args]);
    },

    /** Follow a card job until the bridge has answered (or the job expired). */
    async prepaidWaitJob(jobId, onProgress = () => {}) {
        const deadline = Date.now() + JOB_TIMEOUT_MS;
        const wakeup = new Wakeup();
        const stop = this.prepaidOnCardJob((message) => message.job_id === jobId && wakeup.wake());
        try {
            for (;;) {
                const status = await this.prepaidCall("prepaid_job_status", jobId);
                onProgress(status);
                if (!["pending", "sent"].includes(status.state)) {
                    return status;
                }
                if (Date.now() > deadline) {
                    return {
                        ...status,
                        state: "expired",
                        error: _t("The card bridge did not answer in time."),
                    };
                }
                await wakeup.sleep(JOB_RECHECK_MS);
            }
        } finally {
            stop();
        }
    },

    /** The Sell Electricity button: the vending screen, selling into the current order. */
    sellElectricity() {
        const order = this.getOrder() || this.addNewOrder();
        this.navigate("PrepaidVendingScreen", { orderUuid: order.uuid });
    },

    /**
     * Add the server's `quote` for `account` (a summary of the vending screen) to the current
     * order, whose customer becomes the account's; refused (and said why) when the order already
     * sells electricity to this or another customer.
     */
    async prepaidAddToOrder(account, quote) {
        const order = this.getOrder() || this.addNewOrder();
        if (order.lines.some((line) => line.prepaid_account_id?.id === account.id)) {
            this.dialog.add(AlertDialog, {
                title: _t("Already in the order"),
                body: _t("This order already sells electricity to customer %s.", account.number),
            });
            return;
        }
        // reading the account loads its partner too: the order becomes the customer's
        const [accountRecord] = await this.data.read("prepaid.account", [account.id]);
        const partner = accountRecord.partner_id;
        if (order.hasPrepaidElectricity && order.getPartner() !== partner) {
            this.dialog.add(AlertDialog, {
                title: _t("Another customer"),
                body: _t(
                    "This order sells electricity to %s: sell to customer %s in a new order.",
                    order.getPartnerName(),
                    account.number
                ),
            });
            return;
        }
        if (partner && order.getPartner() !== partner) {
            order.setPartner(partner);
        }
        // A rewrite line is priced at the difference (negative: money back to the customer).
        const rewrite = quote.rewrite_vend_id
            ? { prepaid_rewrite_vend_id: (await this.data.read("prepaid.vend", [quote.rewrite_vend_id]))[0] }
            : {};
        const product = this.prepaidProduct;
        return await this.addLineToCurrentOrder(
            {
                product_id: product,
                product_tmpl_id: product.product_tmpl_id,
                price_unit: quote.rewrite_vend_id ? quote.difference : quote.amount_due,
                qty: 1,
                prepaid_account_id: accountRecord,
                prepaid_method: quote.method,
                prepaid_quantity: quote.quantity,
                // the quoted energy, shown on the order line (local: the server makes the vend);
                // a remote account's top-up is money only
                ...(quote.is_top_up ? {} : { prepaid_energy_quoted: quote.energy_bought }),
                ...rewrite,
            },
            {},
            false
        );
    },

    /** The customer of an electricity order is the account's: it is not changed by hand. */
    async selectPartner(currentOrder = this.getOrder()) {
        if (currentOrder?.hasPrepaidElectricity) {
            this.dialog.add(AlertDialog, {
                title: _t("Can't change customer"),
                body: _t(
                    "This order sells electricity to %s: its customer is the account's customer.",
                    currentOrder.getPartnerName()
                ),
            });
            return currentOrder.getPartner();
        }
        return await super.selectPartner(...arguments);
    },
});
