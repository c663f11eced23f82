"""How a process runs and is watched: settings, keys, trusted networks, log context, the library patches and their guards."""
