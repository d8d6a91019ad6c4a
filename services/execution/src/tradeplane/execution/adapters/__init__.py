"""Execution adapters: database tables, venues (paper, ccxt) and their protocol."""
