"""Outbound I/O of the notifier: URL checks, the pinned HTTP client and the webhook sender."""
