"""One original, then copies: the print counter of receipts and slips."""


def count_print(records, counter):
    """Count one more print of each record in its integer field `counter`, and return
    {record id: True when this print is a copy (a reprint)}: a printed document has one
    original, every later print says it is a copy and keeps the original number."""
    copies = {record.id: record[counter] > 0 for record in records}
    for record in records:
        # sudo: printing counts the print on a record the printing user cannot write
        record.sudo()[counter] += 1
    return copies
