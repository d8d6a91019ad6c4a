"""The bots service: users' bots run built-in strategies on market data and send orders like a user."""
