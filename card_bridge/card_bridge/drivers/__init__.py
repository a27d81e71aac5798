"""Reader drivers behind one interface (see base.CardDriver)."""
