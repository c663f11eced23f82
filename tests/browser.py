"""Headless Debian Chromium for the browser tests (never a downloaded browser); the flags keep it off
the network this machine does not have (background updates, sync, QUIC)."""
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
