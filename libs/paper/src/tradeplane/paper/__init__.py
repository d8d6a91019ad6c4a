"""The paper venue's pure core, shared by execution (the paper venue), marketdata (the synthetic feed)
and backtests (matching, fees and partial fills): `markets` (specs, rounding, minimums), `feed` (the
seeded random walk), `book` (accounts, orders, fills) and `engine` (matching against ticks).

No I/O, no wall clock, no floats: the same inputs give the same fills everywhere."""
