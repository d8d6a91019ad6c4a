"""Pure webhook logic: payloads, retry policy and target address rules."""
