import { markRaw, reactive } from "@odoo/owl";
import { browser } from "@web/core/browser/browser";
import { _t } from "@web/core/l10n/translation";
import { ConnectionLostError, rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { uuid } from "@web/core/utils/strings";
import { session } from "@web/session";
import { Wakeup } from "@prepaid_electricity/app/utils/wakeup";

// how often the page asks the server where the kiosk stands
export const BUSY_POLL_MS = 400;
export const IDLE_POLL_MS = 1000;
// a card write that takes longer than this gets a hint (take the card out, insert it again)
export const WRITE_PATIENCE_MS = 30000;
// a purchase whose card was not written and whose customer went away is let go (its vend stays
// waiting on the server, offered again when the card comes back): the next customer is served
export const WRITE_FAILED_GIVE_UP_MS = 180000;
// how long a refusal stays in the message band
export const MESSAGE_MS = 12000;
// the least time an ended purchase (done, held, declined...) is shown, even to a customer who
// pulls the card at once: they see what they bought before the next customer's screen
export const ENDED_MIN_SHOW_MS = 4000;

// the purchase is still moving: poll fast
const OPEN_STATES = ["cash_in", "paying", "paid", "vended"];
// the purchase ended without anything to show: forget it at once
// a purchase whose money is on its way: the server gives it to a page that lost its id
const MONEY_ON_ITS_WAY_STATES = ["cash_in", "paying", "paid"];
const CLOSED_STATES = ["cancelled", "refunded"];
// the purchase ended with a message that stays until the card is taken out
const ENDED_STATES = ["done", "held", "declined", "voided"];

/** Paid, but not on the card (or the remote balance) yet. */
function isUndelivered(transaction) {
    return Boolean(transaction && ["paid", "vended"].includes(transaction.state) && !transaction.vend?.written);
}

/** The server answered with a refusal (a translated message), not a failure of the call. */
export class KioskRefusal extends Error {}

/** A new purchase id; crypto.randomUUID exists only on secure pages (https or localhost). */
function newTid() {
    return browser.crypto?.randomUUID?.() || `${uuid()}${uuid()}`;
}

/**
 * The kiosk page's model: the server's last answer to `state` and the few things the page
 * remembers for itself: the purchase id (kept in localStorage so that a reload of the page,
 * e.g. after a crash of the kiosk PC, goes on with the same purchase) and what it saw of the
 * card during a card write. Every screen is derived from the server's answer (see `screen`):
 * the page decides nothing, it collects the customer's choices and shows what the server says.
 */
export class KioskModel {
    constructor(info) {
        this.info = info;
        this.tidKey = `prepaid_kiosk_tid_${info.config_id}`;
        this.tid = browser.localStorage.getItem(this.tidKey) || "";
        this.server = null;         // the last answer to `state`
        this.offline = "";          // the last poll failed: "connection" (no server) or "error"
        this.message = "";          // a refusal or a failed call, shown in the message band
        this.busy = false;          // a customer's request is on its way
        this.cardWasOut = false;    // the card left the reader while its purchase was not written
        this.revending = null;      // the waiting vend the customer asked to write again
        this.writingSince = 0;
        this.writeFailedSince = 0;
        this.endedSince = 0;        // when the page first saw the purchase ended
        this.endedCardOut = false;  // the card has left the reader since then
        this.actionSeq = 0;
        this.stopped = false;
        this.wakeup = markRaw(new Wakeup());
        this.messageTimer = null;
    }

    // ------------------------------------------------------------------ the server
    get lang() {
        return this.info.lang;
    }

    async call(action, args = {}, settings = {}) {
        const response = await rpc(
            `/prepaid/kiosk/${this.info.config_id}/call`,
            { access_token: this.info.access_token, action, lang: this.lang, args },
            settings
        );
        if (response.error) {
            throw new KioskRefusal(response.error);
        }
        return response.result;
    }

    /** Ask where the kiosk stands until the page goes away: with `resume` the first time (the
     * server then settles the purchases a crash interrupted), fast while something happens. */
    async run() {
        let resume = true;
        while (!this.stopped) {
            if (await this.poll(resume)) {
                resume = false;
            }
            await this.wakeup.sleep(this.isActive ? BUSY_POLL_MS : IDLE_POLL_MS);
        }
    }

    stop() {
        this.stopped = true;
        this.wakeup.cancel();
    }

    async poll(resume = false) {
        const tid = this.tid;
        const seq = this.actionSeq;
        const args = tid ? { tid } : {};
        if (resume) {
            args.resume = true;
        }
        let state;
        try {
            state = await this.call("state", args, { silent: true });
        } catch (error) {
            if (error instanceof KioskRefusal) {
                this.offline = "";
                this.showMessage(error.message);
            } else {
                this.offline = error instanceof ConnectionLostError ? "connection" : "error";
            }
            return false;
        }
        this.offline = "";
        // an answer that left before the customer's last request, or during one, may be stale
        if (!this.busy && seq === this.actionSeq && tid === this.tid) {
            this.applyState(state);
        }
        return true;
    }

    /** Take the server's answer in; forget a purchase that has nothing more to show. */
    applyState(state) {
        this.server = state;
        const { card, customer, transaction } = state;
        if (!this.tid && transaction && MONEY_ON_ITS_WAY_STATES.includes(transaction.state)) {
            this.setTid(transaction.tid); // the page lost its id (a crash): continue that purchase
        }
        if (this.tid && !transaction) {
            this.setTid("");        // unknown to the server: it never started
        }
        if (transaction) {
            if (CLOSED_STATES.includes(transaction.state)) {
                this.setTid("");
            } else if (ENDED_STATES.includes(transaction.state) || transaction.vend?.written) {
                this.endedSince ||= Date.now();
                this.endedCardOut ||= !card.present;
                if (this.endedCardOut && Date.now() - this.endedSince >= ENDED_MIN_SHOW_MS) {
                    this.setTid("");
                }
            } else if (isUndelivered(transaction)) {
                this.followWrite(transaction, card, customer);
            }
        }
        if (!this.tid || !this.server.transaction || !this.isUndelivered) {
            this.cardWasOut = false;
            this.writeFailedSince = 0;
        }
        if (!this.tid) {
            this.server = { ...state, transaction: false };
        }
        if (this.revending && !card.present) {
            this.revending = null;  // pulled: the vend waits again, offered when the card comes back
        }
        if (!this.revending && !this.isWriting) {
            this.writingSince = 0;
        } else if (!this.writingSince) {
            this.writingSince = Date.now();
        }
    }

    /** A paid purchase not on the card yet: watch the card. Pulled, the write failed; another
     * customer's card, or nobody for long, and the purchase is let go (its vend waits on the
     * server, offered again when its card comes back). */
    followWrite(transaction, card, customer) {
        if (transaction.state !== "vended") {
            return;
        }
        if (!card.present) {
            this.cardWasOut = true;
            this.writeFailedSince ||= Date.now();
            if (Date.now() - this.writeFailedSince > WRITE_FAILED_GIVE_UP_MS) {
                this.setTid("");
            }
            return;
        }
        this.writeFailedSince = 0;
        // another customer's card (not "no waiting vend": that is also a write under way)
        if (customer && customer.number !== transaction.customer) {
            this.setTid("");
        }
    }

    setTid(tid) {
        this.tid = tid;
        if (tid) {
            browser.localStorage.setItem(this.tidKey, tid);
        } else {
            browser.localStorage.removeItem(this.tidKey);
            this.cardWasOut = false;
            this.writeFailedSince = 0;
            this.endedSince = 0;
            this.endedCardOut = false;
        }
    }

    // ------------------------------------------------------------------ what is shown
    get transaction() {
        return (this.tid && this.server?.transaction) || false;
    }

    get isUndelivered() {
        return isUndelivered(this.transaction);
    }

    get isWriting() {
        return this.screen === "writing";
    }

    get isActive() {
        const state = this.server;
        if (!state || this.busy || this.revending || state.card.reading) {
            return true;
        }
        const transaction = this.transaction;
        return Boolean(transaction && (OPEN_STATES.includes(transaction.state) || transaction.slip === "queued"));
    }

    /**
     * The screen, from the server's answer: the purchase in progress first (a kiosk that goes
     * out of service finishes it), then the kiosk, the card and its customer.
     *   loading, out_of_service, idle, reading, card_error, customer, cash_in, bank_card,
     *   declined, voided, writing, write_failed, done, held
     */
    get screen() {
        const state = this.server;
        if (!state) {
            return "loading";
        }
        const { card, customer } = state;
        const transaction = this.transaction;
        if (transaction) {
            switch (transaction.state) {
                case "cash_in":
                    return "cash_in";
                case "paying":
                    return "bank_card";
                case "declined":
                    return "declined";
                case "voided":
                    return "voided";
                case "held":
                    return "held";
                case "paid":
                case "vended":
                case "done":
                    if (transaction.vend?.written || transaction.state === "done") {
                        return "done";
                    }
                    if (!transaction.vend) {
                        // paid, the vend being made; a bank card payment whose vend was refused
                        // is being voided on the terminal (the error says why)
                        return transaction.error && transaction.payment === "card" ? "voided" : "writing";
                    }
                    if (!card.present) {
                        return "write_failed";
                    }
                    if (card.reading || card.error || !customer) {
                        return card.error ? "card_error" : "reading";
                    }
                    return this.cardWasOut && !this.revending ? "customer" : "writing";
            }
        }
        if (state.kiosk.reason) {
            return "out_of_service";
        }
        if (!card.present) {
            return "idle";
        }
        if (card.error) {
            return "card_error";
        }
        if (card.reading || !customer) {
            return "reading";
        }
        if (this.revending) {
            return customer.waiting_vend ? "writing" : "done";
        }
        return "customer";
    }

    /** The card write has taken longer than it should. */
    get writeIsSlow() {
        return Boolean(this.writingSince) && Date.now() - this.writingSince > WRITE_PATIENCE_MS;
    }

    // ------------------------------------------------------------------ the customer's requests
    showMessage(message) {
        this.message = message;
        browser.clearTimeout(this.messageTimer);
        this.messageTimer = browser.setTimeout(() => (this.message = ""), MESSAGE_MS);
    }

    clearMessage() {
        browser.clearTimeout(this.messageTimer);
        this.message = "";
    }

    /** Run a request of the customer: one at a time; a refusal goes to the message band.
     * Returns the server's result, or undefined when it failed. */
    async request(action, args, { onRefusal } = {}) {
        if (this.busy) {
            return undefined;
        }
        this.busy = true;
        this.actionSeq++;
        this.clearMessage();
        try {
            return await this.call(action, args);
        } catch (error) {
            if (error instanceof KioskRefusal) {
                onRefusal?.();
                this.showMessage(error.message);
            } else {
                this.showMessage(_t("The kiosk could not reach the server. Please try again."));
            }
            return undefined;
        } finally {
            this.busy = false;
            this.actionSeq++;
            this.wakeup.wake();
        }
    }

    /** The server's quote for the customer's choice: {amount_due, energy_bought, balance_after, ...}
     * or {error}. */
    async quote(method, quantity) {
        return this.request("quote", { method, quantity });
    }

    /** Pay for the customer's choice: the purchase id is kept before asking, so that a crash
     * in between goes on with the same purchase (the server starts a purchase once per id). */
    async startPurchase(payment, method, quantity) {
        const tid = newTid();
        this.setTid(tid);
        const summary = await this.request(
            "start",
            { tid, payment, method, quantity },
            { onRefusal: () => this.setTid("") }
        );
        if (summary && this.server) {
            this.setTid(summary.tid);
            this.server = { ...this.server, transaction: summary };
        }
        return summary;
    }

    /** The customer pressed Buy (or Cancel before inserting anything) during the cash-in. */
    async buy() {
        const summary = await this.request("buy", { tid: this.tid });
        if (summary && this.server && summary.tid === this.tid) {
            this.server = { ...this.server, transaction: summary };
        }
        return summary;
    }

    /** Write again onto the card in the reader its purchase that never reached it (补售电). */
    async revend() {
        const waiting = this.server?.customer?.waiting_vend;
        if (!waiting) {
            return undefined;
        }
        const result = await this.request("revend", {});
        if (result) {
            this.revending = { ...waiting };
            this.cardWasOut = false;
            this.writingSince = Date.now();
        }
        return result;
    }

    /** The customer has read the end of the purchase (declined, voided): back to their card. */
    finish() {
        this.setTid("");
        if (this.server) {
            this.server = { ...this.server, transaction: false };
        }
        this.actionSeq++;
        this.wakeup.wake();
    }

    /** Show the page in another language (the purchase goes on: its id is kept). */
    switchLang(code) {
        const url = new URL(browser.location.href);
        url.searchParams.set("lang", code);
        browser.location.assign(url.toString());
    }
}

export const kioskService = {
    start() {
        return reactive(new KioskModel(session.kiosk));
    },
};

registry.category("services").add("prepaid_kiosk", kioskService);
