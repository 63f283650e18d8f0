"""The mail service every feature uses: one entry point, an outgoing-message log, delivery tracking."""
