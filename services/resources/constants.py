"""What the resources schemas (and so the gateway) need from the service: plain values, no I/O, no imports
of the service's modules (the import contracts in .importlinter)."""

# the orders search() offers (services/resources/search.py maps each to its SQL)
SEARCH_ORDERS = ("newest", "downloads")
