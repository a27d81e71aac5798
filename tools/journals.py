"""Which journal takes a station's counter money by default."""


def company_cash_journal(company):
    """The company's own cash journal: the Cash journal of its chart of accounts when it is
    still an active cash journal (never a demo shop's that happens to sort first), else its
    first cash journal."""
    env = company.env
    journal = env['account.chart.template'].with_company(company).ref('cash', raise_if_not_found=False)
    if journal and journal.active and journal.type == 'cash':
        return journal
    return env['account.journal'].search(
        [*env['account.journal']._check_company_domain(company), ('type', '=', 'cash')], limit=1)


def default_cash_journal(env, station=None):
    """Where a backend sale or refund of `station` is paid by default: the station's cash
    journal, else its company's (env.company's without a station)."""
    if station and station.cash_journal_id:
        return station.cash_journal_id
    return company_cash_journal(station.company_id if station else env.company)
