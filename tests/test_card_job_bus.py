"""Card jobs on PostgreSQL's and Odoo's channels: a new job wakes its bridge's long poll the
moment it is committed (LISTEN/NOTIFY), and every change of a job's state reaches the Points
of Sale of its bridge on the POS config's bus channel."""
import json
import threading
import time

from odoo.tests import TransactionCase, tagged

from odoo.addons.bus.models.bus import channel_with_db

from card_bridge.protocol import signed


@tagged('post_install', '-at_install')
class TestCardJobChannels(TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bridge = cls.env['prepaid.card.bridge'].create({'name': 'Till 1'})
        cls.secret = cls.bridge._pair(cls.bridge.pairing_code)['secret']
        cls.other = cls.env['prepaid.card.bridge'].create({'name': 'Till 2'})
        cls.other._pair(cls.other.pairing_code)
        cls.config = cls.env['pos.config'].create({'name': 'Bus Till', 'prepaid_bridge_id': cls.bridge.id})

    def commit(self):
        """What a request's commit runs: the precommit hooks (bus rows) and, after it, the
        postcommit ones (the NOTIFY that wakes the bridges)."""
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.env.cr.postcommit.run()

    def pos_messages(self):
        self.env.cr.precommit.run()
        channel = channel_with_db(self.env.cr.dbname, self.config.access_token)
        rows = self.env['bus.bus'].sudo().search([], order='id')
        messages = [json.loads(row.message) for row in rows if json.loads(row.channel) == list(channel)]
        return [m['payload'] for m in messages if m['type'] == f'{self.config.access_token}-PREPAID_CARD_JOB']

    def test_a_new_job_wakes_the_waiting_bridge_at_once(self):
        Job = self.env['prepaid.card.job']
        with Job._listen(self.bridge.id) as wait_for_job:
            self.assertFalse(wait_for_job(0.3), "nothing to wake for")
            woken = {}

            def wait():
                start = time.monotonic()
                woken['result'] = wait_for_job(20)
                woken['after'] = time.monotonic() - start

            waiter = threading.Thread(target=wait)
            waiter.start()
            time.sleep(0.3)
            Job._create_for(self.other, 'read')
            self.commit()
            time.sleep(0.5)
            self.assertTrue(waiter.is_alive(), "another bridge's job wakes no one else")
            Job._create_for(self.bridge, 'read')
            self.commit()
            waiter.join(20)
        self.assertTrue(woken['result'])
        self.assertLess(woken['after'], 5, "woken by the job, well before the 20 s of the wait")

    def test_the_pos_hears_of_every_state_change_of_its_bridges_jobs(self):
        Job = self.env['prepaid.card.job']
        job = Job._create_for(self.bridge, 'read')
        Job._create_for(self.other, 'read')
        self.assertEqual(Job._take_pending(self.bridge), job)
        Job._apply_result(self.bridge, signed(self.secret, {'job_id': job.id, 'nonce': job.nonce, 'ok': True,
                                                            'raw': '00' * 256}))
        stale = Job._create_for(self.bridge, 'read')
        stale.expires_at = time.time() - 1
        Job._take_pending(self.bridge)
        self.assertEqual(self.pos_messages(), [
            {'job_id': job.id, 'state': 'sent', 'vend_id': False},
            {'job_id': job.id, 'state': 'done', 'vend_id': False},
            {'job_id': stale.id, 'state': 'expired', 'vend_id': False},
        ], "the other bridge's job is not this POS's business")
