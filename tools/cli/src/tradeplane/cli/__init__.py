"""Operator CLI: the embedded stack (tradeplane up), migrations, users, kill switch, bots, tail."""
