import { Component, useState } from "@odoo/owl";
import { Dialog } from "@web/core/dialog/dialog";
import { _t } from "@web/core/l10n/translation";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
import { usePos } from "@point_of_sale/app/hooks/pos_hook";

/**
 * The vending screen: the operator reads the card (the server runs a read job on this POS's
 * card bridge) or finds the account; sees the customer and every warning; enters energy or
 * money and sees the server's quote; adds the quoted vend to the order. While the last sale's
 * credit is still on the card, "Rewrite Credit" quotes a corrected purchase instead, and the
 * order settles the difference. The other card operations of a cashier (write again,
 * reissue, credit recovery) are here too, each checked by the server against the user's role.
 * A new customer's account is opened here too: the first purchase is then sold like any sale
 * and, once paid, the first card is issued with it on a blank card in the reader.
 */
export class PrepaidVendPopup extends Component {
    static template = "prepaid_electricity.PrepaidVendPopup";
    static components = { Dialog };
    static props = ["getPayload", "close"];

    setup() {
        this.pos = usePos();
        this.state = useState({
            query: "",
            results: [],
            account: null,
            method: "energy",
            quantity: "",
            quote: null,
            quoteError: "",
            rewrite: false,
            busy: "",
            message: "",
            error: "",
            showRecovery: false,
            meterCumulative: "",
            opening: null, // the account opening form, while it is shown
            openingOptions: { templates: [], areas: [] },
        });
    }

    get isManager() {
        return Boolean(this.pos.config._prepaid_is_manager);
    }

    get canAdd() {
        const { account, quote, rewrite } = this.state;
        const allowed = rewrite ? account?.can_rewrite : account?.can_buy;
        return Boolean(allowed && quote && !this.state.busy);
    }

    formatCurrency(amount) {
        return this.env.utils.formatCurrency(amount);
    }

    /** Energy to 0.01 kWh and prices to 0.0001, as on the card and the receipt. */
    formatEnergy(energy) {
        return `${Number(energy || 0).toFixed(2)} kWh`;
    }

    formatPrice(price) {
        return Number(price || 0).toFixed(4);
    }

    /** Server datetimes are UTC: shown in the user's time zone. */
    formatDate(value) {
        return value ? formatDateTime(deserializeDateTime(value)) : "";
    }

    async run(label, callback) {
        this.state.busy = label;
        this.state.error = "";
        this.state.message = "";
        try {
            return await callback();
        } catch (error) {
            this.state.error = error.data?.message || error.message || String(error);
        } finally {
            this.state.busy = "";
        }
    }

    setAccount(account) {
        this.state.account = account;
        this.state.opening = null;
        this.state.results = [];
        this.state.quote = null;
        this.state.quoteError = "";
        this.state.rewrite = false;
        this.state.meterCumulative = account?.writeback ? String(account.writeback.cumulative) : "";
    }

    async search() {
        await this.run(_t("Searching…"), async () => {
            const results = await this.pos.prepaidCall("prepaid_find_accounts", this.state.query);
            if (results.length === 1) {
                this.setAccount(results[0]);
            } else {
                this.setAccount(null);
                this.state.results = results;
                if (!results.length) {
                    this.state.error = _t("No customer matches “%s”.", this.state.query);
                }
            }
        });
    }

    onSearchKeydown(ev) {
        if (ev.key === "Enter") {
            this.search();
        }
    }

    async readCard() {
        await this.run(_t("Reading the card…"), async () => {
            const { job_id } = await this.pos.prepaidCall("prepaid_read_card");
            const status = await this.pos.prepaidWaitJob(job_id);
            if (status.state === "done" && status.account) {
                this.setAccount(status.account);
            } else {
                this.setAccount(null);
                this.state.error = status.error || _t("The card could not be read.");
            }
        });
    }

    async refreshAccount() {
        const account = await this.pos.prepaidCall("prepaid_account_summary", this.state.account.id);
        this.setAccount(account);
    }

    /** Show the account opening form, on the templates of this till's station. */
    async startOpening() {
        await this.run(_t("Loading…"), async () => {
            const options = await this.pos.prepaidCall("prepaid_opening_options");
            const template = options.templates.find((t) => t.is_default) || options.templates[0];
            this.setAccount(null);
            this.state.openingOptions = options;
            this.state.opening = {
                name: "",
                phone: "",
                address: "",
                meter_number: "",
                template_id: template ? String(template.id) : "",
                area_id: template?.area_id ? String(template.area_id) : "",
                method: "energy",
                quantity: "",
            };
        });
    }

    onOpeningTemplateChange() {
        const opening = this.state.opening;
        const template = this.state.openingOptions.templates.find(
            (t) => String(t.id) === opening.template_id
        );
        opening.area_id = template?.area_id ? String(template.area_id) : "";
    }

    /** Open the account on the server; its first purchase is then quoted like a sale. */
    async openAccount() {
        const opening = this.state.opening;
        await this.run(_t("Opening the account…"), async () => {
            const account = await this.pos.prepaidCall("prepaid_open_account", {
                name: opening.name,
                phone: opening.phone,
                address: opening.address,
                meter_number: opening.meter_number,
                template_id: opening.template_id,
                area_id: opening.area_id,
            });
            this.setAccount(account);
            this.state.method = opening.method;
            this.state.quantity = opening.quantity;
        });
        if (this.state.account && this.state.quantity) {
            await this.getQuote();
        }
        if (this.state.account && !this.state.error) {
            this.state.message = _t("Account %s opened.", this.state.account.number);
        }
    }

    onRequestChange() {
        this.state.quote = null;
        this.state.quoteError = "";
    }

    get rewriteBanner() {
        const last = this.state.account.last_vend;
        return _t(
            "Rewrite credit: correct purchase %(name)s (%(energy)s, %(amount)s) while its credit is still on the card. The order settles the difference.",
            {
                name: last.name,
                energy: this.formatEnergy(last.energy),
                amount: this.formatCurrency(last.amount),
            }
        );
    }

    toggleRewrite() {
        this.state.rewrite = !this.state.rewrite;
        this.onRequestChange();
    }

    async getQuote() {
        const { account, rewrite, method, quantity } = this.state;
        if (!account) {
            return;
        }
        await this.run(_t("Quoting…"), async () => {
            const quote = rewrite
                ? await this.pos.prepaidCall("prepaid_quote_rewrite", account.last_vend.id, method, quantity)
                : await this.pos.prepaidCall("prepaid_quote", account.id, method, quantity);
            this.state.quote = quote.error ? null : quote;
            this.state.quoteError = quote.error || "";
        });
    }

    onQuantityKeydown(ev) {
        if (ev.key === "Enter") {
            this.getQuote();
        }
    }

    /** Run a server card operation that queues a write job, then follow it to the end. */
    async cardOperation(label, method, ...args) {
        await this.run(label, async () => {
            const { job_id } = await this.pos.prepaidCall(method, ...args);
            const status = await this.pos.prepaidWaitJob(job_id);
            await this.refreshAccount();
            if (status.state === "done") {
                this.state.message = _t("The card has been written.");
            } else {
                this.state.error = status.error || _t("The card write did not complete.");
            }
        });
    }

    writeAgain() {
        const vendId = this.state.account.waiting_vend_id || this.state.account.last_vend?.id;
        return this.cardOperation(_t("Writing the card…"), "prepaid_write_vend", vendId);
    }

    issueCard() {
        return this.cardOperation(_t("Issuing the card…"), "prepaid_issue_card", this.state.account.id);
    }

    reissue() {
        return this.cardOperation(_t("Reissuing the card…"), "prepaid_reissue_card", this.state.account.id);
    }

    recoverCredit() {
        return this.cardOperation(
            _t("Recovering the credit…"),
            "prepaid_recover_credit",
            this.state.account.id,
            this.state.meterCumulative
        );
    }

    confirm() {
        if (!this.canAdd) {
            return;
        }
        this.props.getPayload({ account: this.state.account, quote: this.state.quote });
        this.props.close();
    }
}
