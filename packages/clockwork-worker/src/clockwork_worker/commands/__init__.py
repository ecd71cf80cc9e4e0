"""The ``clockwork`` subcommands, one module per concern; :mod:`clockwork_worker.cli` assembles them."""
