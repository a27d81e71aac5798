/**
 * A sleep that a bus message cuts short. A message that comes while nobody sleeps is kept:
 * the next sleep returns at once, so no message is lost between a look and the next sleep.
 */
export class Wakeup {
    constructor() {
        this.woken = false;
        this.done = null;
    }

    wake() {
        this.woken = true;
        this.done?.();
    }

    /** Resolves on `wake()` or after `ms`, whichever comes first. */
    sleep(ms) {
        return new Promise((resolve) => {
            const timer = setTimeout(() => this.done(), ms);
            this.done = () => {
                clearTimeout(timer);
                this.done = null;
                this.woken = false;
                resolve();
            };
            if (this.woken) {
                this.done();
            }
        });
    }

    /** Stop sleeping for good (the component is gone). */
    cancel() {
        this.done?.();
    }
}
