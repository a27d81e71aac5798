"""Bulk writes for the few paths that take in tens of thousands of rows at once (a day of remote
meter readings): one INSERT or one UPDATE for a whole batch, with the audit columns the ORM
would set, instead of the ORM's per-record work (which costs a millisecond a row there). The
columns written are flushed before (the ORM's pending values would overwrite them later) and
invalidated after."""
from odoo.tools import SQL

AUDIT = ('create_uid', 'create_date', 'write_uid', 'write_date')


def _cast(model, name):
    return SQL(model._fields[name].column_type[1] if name in model._fields else 'int4')


def _row(values):
    return SQL('%s', tuple(values))     # a tuple goes to the database as a row: (v1, v2, …)


def insert_rows(model, columns, rows, on_conflict=None):
    """INSERT `rows` (tuples in `columns` order) into `model`'s table; returns the new ids in
    the rows' order ([] for rows skipped by `on_conflict`, e.g. SQL('(meter_id, day) DO NOTHING'):
    then the result is the (id, *conflict columns) of the rows inserted)."""
    if not rows:
        return []
    env = model.env
    audit = (env.uid, env.cr.now(), env.uid, env.cr.now())
    table = SQL.identifier(model._table)
    query = SQL('INSERT INTO %s (%s) VALUES %s', table,
                SQL(', ').join(SQL.identifier(name) for name in (*columns, *AUDIT)),
                SQL(', ').join(_row((*row, *audit)) for row in rows))
    if on_conflict is not None:
        return env.execute_query(SQL('%s ON CONFLICT %s RETURNING id', query, on_conflict))
    model.invalidate_model(list(columns))
    return [row_id for (row_id,) in env.execute_query(SQL('%s RETURNING id', query))]


def update_rows(model, columns, rows):
    """UPDATE `model`'s rows: each of `rows` is (id, *values in `columns` order)."""
    if not rows:
        return
    env = model.env
    # what the ORM still holds for these columns goes first, or it would overwrite ours later
    model.flush_model(list(columns))
    table = SQL.identifier(model._table)
    names = ('id', *columns)
    env.execute_query(SQL(
        'UPDATE %s AS t SET %s, write_uid = %s, write_date = %s FROM (VALUES %s) AS v(%s) WHERE t.id = v.id::int4',
        table,
        SQL(', ').join(SQL('%s = v.%s::%s', SQL.identifier(name), SQL.identifier(name), _cast(model, name))
                       for name in columns),
        env.uid, env.cr.now(),
        SQL(', ').join(_row(row) for row in rows),
        SQL(', ').join(SQL.identifier(name) for name in names)))
    model.invalidate_model([*columns, 'write_uid', 'write_date'])
