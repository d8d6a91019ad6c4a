"""The built-in strategies users pick from (they never upload code)."""
