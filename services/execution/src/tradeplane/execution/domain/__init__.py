"""Pure execution logic: markets, paper matching, order lifecycle, nonces and venue error mapping."""
