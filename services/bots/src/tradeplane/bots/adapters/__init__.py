"""The bots schema and its reads and writes."""
