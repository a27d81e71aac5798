import secrets
import selectors
import time
from contextlib import contextmanager

from odoo import api, fields, models, sql_db
from odoo.exceptions import UserError
from odoo.tools import SQL

from card_bridge import protocol

# seconds; a little under what the bridge accepts, so a job is never refused for clock skew
JOB_LIFETIME = protocol.MAX_JOB_LIFETIME - 5
# PostgreSQL channel on which new jobs wake the long polls of their bridge (payload: bridge id)
WAKE_CHANNEL = 'prepaid_card_job'
# jobs of a kiosk's other devices (bill acceptor, receipt printer, bank card terminal)
DEVICE_OPERATIONS = ('cash', 'print', 'pay', 'void')


class PrepaidCardJob(models.Model):
    """One card operation for a bridge: minted and signed by the server, carried out by the
    bridge, judged by the server from the signed read-back. A write counts only when the
    card reads back exactly what the server computed."""
    _name = 'prepaid.card.job'
    _description = 'Card Job'
    _order = 'id desc'

    bridge_id = fields.Many2one('prepaid.card.bridge', required=True, index=True, ondelete='cascade')
    operation = fields.Selection([
        ('read', 'Read Card'), ('write', 'Write Card'), ('cash', 'Take Cash'), ('print', 'Print Slip'),
        ('pay', 'Bank Card Payment'), ('void', 'Void Bank Card Payment')], required=True)
    vend_id = fields.Many2one('prepaid.vend', index='btree_not_null')
    kiosk_transaction_id = fields.Many2one('prepaid.kiosk.transaction', index='btree_not_null', ondelete='set null')
    params = fields.Json(help="What a kiosk device job needs (amounts, slip), signed with the job.")
    data = fields.Json(string='Device Answer', readonly=True)
    credit_valid = fields.Boolean(default=True, help="Whether the written image carries valid credit.")
    serial = fields.Char(string='Expected Card Serial')
    writes = fields.Json()
    psc_present = fields.Char()     # AES-GCM sealed for the bridge, never the clear PSC
    psc_new = fields.Char()
    nonce = fields.Char(required=True, default=lambda self: secrets.token_hex(16), copy=False)
    expires_at = fields.Float(required=True, default=lambda self: time.time() + JOB_LIFETIME)
    state = fields.Selection([('pending', 'Pending'), ('sent', 'Sent to Bridge'), ('done', 'Done'),
                              ('failed', 'Failed'), ('expired', 'Expired')],
                             default='pending', required=True, index=True)
    raw = fields.Char(string='Card Read-back')
    error = fields.Char()

    @api.model_create_multi
    def create(self, vals_list):
        jobs = super().create(vals_list)
        jobs._wake_bridges()
        return jobs

    def write(self, vals):
        result = super().write(vals)
        if 'state' in vals:
            self._notify_pos()
        return result

    # ------------------------------------------------------------------ telling the others
    def _wake_bridges(self):
        """Wake the long polls of these jobs' bridges, after the commit (as Odoo's bus does:
        woken earlier, a bridge would look before the job is visible), on an own connection."""
        cr = self.env.cr
        if 'prepaid.card.job.wake' not in cr.postcommit.data:
            cr.postcommit.data['prepaid.card.job.wake'] = set()
            dbname = cr.dbname

            @cr.postcommit.add
            def notify():
                bridge_ids = sorted(cr.postcommit.data.pop('prepaid.card.job.wake', ()))
                if bridge_ids:
                    with sql_db.db_connect(dbname).cursor() as notify_cr:
                        for bridge_id in bridge_ids:
                            notify_cr.execute(SQL("SELECT pg_notify(%s, %s)", WAKE_CHANNEL, str(bridge_id)))
        cr.postcommit.data['prepaid.card.job.wake'].update(self.bridge_id.ids)

    @contextmanager
    def _listen(self, bridge_id):
        """A waiter for new jobs of `bridge_id`: `wait(timeout)` returns True as soon as one is
        committed, False at the timeout. It LISTENs on a dedicated connection from the moment
        the context opens, so a job committed between a look and the wait still wakes it."""
        cr = sql_db.db_connect(self.env.cr.dbname).cursor()
        try:
            cr.execute(SQL("LISTEN %s", SQL.identifier(WAKE_CHANNEL)))
            cr.commit()  # pylint: disable=invalid-commit  # own connection: LISTEN counts from its commit
            connection = cr._cnx
            with selectors.DefaultSelector() as selector:
                selector.register(connection, selectors.EVENT_READ)

                def wait(timeout):
                    deadline = time.monotonic() + timeout
                    while True:
                        connection.poll()
                        woken = any(n.payload == str(bridge_id) for n in connection.notifies)
                        connection.notifies.clear()
                        remaining = deadline - time.monotonic()
                        if woken or remaining <= 0:
                            return woken
                        selector.select(remaining)
                yield wait
        finally:
            # the connection goes back to the pool: it must listen no more
            cr.execute(SQL("UNLISTEN *"))
            cr.commit()  # pylint: disable=invalid-commit  # own connection, as LISTEN above
            cr._cnx.notifies.clear()
            cr.close()

    def _notify_pos(self):
        """Tell the Points of Sale of these jobs' bridges that a job changed state, on the
        POS config's bus channel: the POS then asks where it stands (job_status, write_status)."""
        # sudo: the bridge's request changes a job; every POS of that bridge is told
        configs = self.env['pos.config'].sudo().search([('prepaid_bridge_id', 'in', self.bridge_id.ids)])
        for job in self:
            for config in configs:
                if config.prepaid_bridge_id == job.bridge_id:
                    config._notify('PREPAID_CARD_JOB', {'job_id': job.id, 'state': job.state,
                                                        'vend_id': job.vend_id.id or False})

    # ------------------------------------------------------------------ minting
    @api.model
    def _create_for(self, bridge, operation, card_job=None, vend=None, credit_valid=True):
        """Queue a job for `bridge` from a server card job ({serial, present_psc, writes, new_psc}).
        A vend's write may be queued without one: it is minted from the vend when the bridge
        takes the job (see _mint), which keeps a sale down to one row."""
        if bridge.state != 'paired':
            raise UserError(self.env._("Card bridge %(name)s is not paired.", name=bridge.name))
        job = self.create({'bridge_id': bridge.id, 'operation': operation, 'vend_id': vend.id if vend else False,
                           'credit_valid': credit_valid})
        if card_job:
            job._set_card_job(card_job)
        return job

    @api.model
    def _create_device_job(self, bridge, operation, transaction, params):
        """Queue a job for one of a kiosk's other devices, for `transaction`; `params` are signed with it."""
        if bridge.state != 'paired':
            raise UserError(self.env._("Card bridge %(name)s is not paired.", name=bridge.name))
        return self.create({'bridge_id': bridge.id, 'operation': operation, 'params': params,
                            'kiosk_transaction_id': transaction.id})

    def _set_card_job(self, card_job):
        self.ensure_one()
        secret = self.bridge_id.sudo().secret  # sudo: the secret seals the PSC; it is never returned
        self.write({
            'serial': card_job['serial'],
            'writes': {str(address): data.hex() for address, data in card_job['writes'].items()},
            'psc_present': protocol.encrypt_psc(secret, self.id, card_job['present_psc']),
            'psc_new': protocol.encrypt_psc(secret, self.id, card_job['new_psc']) if card_job.get('new_psc') else False,
        })

    def _mint(self):
        """Mint the vend writes queued without their card job, from their vend as it stands:
        the same vend always gives the same image, so a retry writes what the first job did.
        A vend that can no longer be written fails its job with the reason; returns those."""
        failed = self.browse()
        for job in self.filtered(lambda j: j.operation == 'write' and j.vend_id and not j.writes):
            try:
                job._set_card_job(job.vend_id._card_job(credit_valid=job.credit_valid))
            except UserError as error:
                job.write({'state': 'failed', 'error': error.args[0]})
                failed |= job
        return failed

    def _signed_payload(self):
        self.ensure_one()
        payload = {'job_id': self.id, 'bridge_id': self.bridge_id.id, 'operation': self.operation,
                   'serial': self.serial or '', 'writes': self.writes or {}, 'psc': self.psc_present or '',
                   'new_psc': self.psc_new or '', 'expires': self.expires_at, 'nonce': self.nonce}
        if self.params:
            payload['params'] = self.params
        return protocol.signed(self.bridge_id.sudo().secret, payload)

    # ------------------------------------------------------------------ bridge side
    def _take_pending(self, bridge):
        """Jobs to hand to the bridge now; stale ones expire."""
        pending = self.search([('bridge_id', '=', bridge.id), ('state', '=', 'pending')], order='id')
        jobs = pending - pending._expire_stale()
        jobs -= jobs._mint()
        jobs.write({'state': 'sent'})
        return jobs

    def _expire_stale(self):
        """Pending jobs past their lifetime expire (the bridge would refuse them anyway), so
        nobody waits for them; returns the jobs that expired."""
        now = time.time()
        expired = self.filtered(lambda j: j.state == 'pending' and j.expires_at < now)
        expired.write({'state': 'expired', 'error': self.env._("The bridge did not pick the job up in time.")})
        return expired

    def _apply_result(self, bridge, message):
        """Judge a bridge's signed result. A write job is done only when the read-back holds
        exactly what the server computed; otherwise the vend keeps waiting for its write."""
        try:
            payload = protocol.verify(bridge.sudo().secret, message)
        except protocol.JobRefused:
            raise UserError(self.env._("The result is not signed by this bridge.")) from None
        job = self.search([('id', '=', int(payload.get('job_id', 0))), ('bridge_id', '=', bridge.id)])
        if not job or job.state != 'sent' or payload.get('nonce') != job.nonce:
            raise UserError(self.env._("Unknown, foreign or already answered card job."))
        raw = bytes.fromhex(payload.get('raw') or '')
        card = job.vend_id.account_id.card_id
        if payload.get('psc_refused') and card:
            # The card holds the other PSC (a write was cut after the PSC change, or before
            # it): present that one next time. The bridge never risks the last try.
            card.is_psc_set = not card.is_psc_set
        vals = {'raw': raw.hex(), 'error': payload.get('error') or False, 'state': 'failed'}
        if job.kiosk_transaction_id and job.operation in DEVICE_OPERATIONS:
            vals.update(state='done' if payload.get('ok') else 'failed', data=payload.get('data') or {})
            job.write(vals)
            job.kiosk_transaction_id._on_device_result(job)
            return job
        if payload.get('ok'):
            vals['state'] = 'done'
            if job.operation == 'write' and job.vend_id:
                try:
                    with self.env.cr.savepoint():
                        job.vend_id._confirm_card_write(raw, credit_valid=job.credit_valid)
                except UserError as error:
                    vals.update(state='failed', error=error.args[0])
        job.write(vals)
        if job.operation == 'write' and job.vend_id.kiosk_transaction_ids:
            job.vend_id.kiosk_transaction_ids._on_card_write(job)
        return job
