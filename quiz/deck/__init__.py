"""Decks: what a card is (cards), reading YAML decks (loader) and their cache, filters, checks."""
