"""Countries, hospitals and clinicians of the network (built out by the directory work)."""
