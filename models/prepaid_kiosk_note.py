from odoo import fields, models


class PrepaidKioskNote(models.Model):
    """One bank note the kiosk's bill acceptor stacked into its cassette, recorded once (the
    bridge numbers the notes of a cash job and sends them again until the server has them).
    The terminal settlement counts the cassette against these."""
    _name = 'prepaid.kiosk.note'
    _description = 'Kiosk Bank Note'
    _order = 'id'

    transaction_id = fields.Many2one('prepaid.kiosk.transaction', required=True, index=True, ondelete='restrict')
    config_id = fields.Many2one(related='transaction_id.config_id', string='Kiosk', store=True, index=True)
    session_id = fields.Many2one('pos.session', index='btree_not_null', readonly=True)
    currency_id = fields.Many2one(related='transaction_id.currency_id')
    job_id = fields.Many2one('prepaid.card.job', required=True, readonly=True, ondelete='restrict')
    seq = fields.Integer(required=True, readonly=True, help="The note's number within its cash job.")
    value = fields.Monetary(required=True, readonly=True)

    _job_seq_unique = models.Constraint('UNIQUE(job_id, seq)', "A stacked note is recorded once.")
