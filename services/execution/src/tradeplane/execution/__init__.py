"""Per-account executors: paper and ccxt venues, nonces, order lifecycle."""
