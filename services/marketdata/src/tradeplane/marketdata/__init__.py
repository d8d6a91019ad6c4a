"""Market data: the paper venue's synthetic feed, live venues' public data (ccxt), candles and queries."""
