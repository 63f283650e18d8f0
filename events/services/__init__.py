"""Services of the events app: plain functions that own transactions, locks and Webex calls."""
