from odoo import models


class MailTrackingValue(models.Model):
    _inherit = 'mail.tracking.value'

    def _tracking_value_format_model(self, model):
        """A tracked selection is stored as its label in the writer's language (English when the
        card bridge or a cron writes it): on our models, show it in the reader's language."""
        formatted = super()._tracking_value_format_model(model)
        if not model or not model.startswith('prepaid.'):
            return formatted
        Model = self.env[model]
        trackings = self.browse([values['id'] for values in formatted])
        labels = {}
        for values, tracking in zip(formatted, trackings):
            field = Model._fields.get(tracking.field_id.name)
            if not field or field.type != 'selection':
                continue
            if field.name not in labels:
                labels[field.name] = self._selection_label_in_lang(field)
            for key in ('oldValue', 'newValue'):
                values[key] = labels[field.name].get(values[key], values[key])
        return formatted

    def _selection_label_in_lang(self, field):
        """{label of a value in any installed language: its label in the current language}"""
        shown = dict(field._description_selection(self.env))
        mapping = {}
        for lang in [None, *(code for code, _name in self.env['res.lang'].get_installed())]:
            for value, label in field._description_selection(self.with_context(lang=lang).env):
                mapping.setdefault(label, shown[value])
        return mapping
