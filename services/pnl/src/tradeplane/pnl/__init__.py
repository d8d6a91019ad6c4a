"""Positions, lots, closed trades, equity and performance analytics."""
