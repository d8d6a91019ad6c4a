"""Pure bot logic: per-bot performance from its fills."""
