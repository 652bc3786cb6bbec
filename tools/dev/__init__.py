"""``python -m tools.dev``: the whole app on this machine, in one command (``./scripts/dev``).

Runs ``function_app.py`` in the project's local Functions host (``tools.funchost``)
and, before the app starts, makes sure its services answer:

- Azure Storage: when the connection string is ``UseDevelopmentStorage=true`` (the
  default) or points at ``DEV_AZURITE_BLOB_PORT`` on this machine, Azurite is started
  on ``DEV_AZURITE_BLOB_PORT``/``_QUEUE_PORT``/``_TABLE_PORT`` (10000/10001/10002) with
  its data in ``.local/azurite``, and the connection strings are pointed at those ports;
- MongoDB: when ``MONGODB_URI`` is unset or points at ``DEV_SECANTUSDB_PORT`` (27017) on
  this machine, SecantusDB is started there with its data in ``.local/mongodb``.

A service already answering on one of those ports is reused only when this checkout
started it (a marker in ``.local/`` names its pid, and that process runs on this
checkout's data); anything else on the port stops the launcher with a message naming
the port, what holds it and the setting that moves it. ``DEV_DATA_DIR`` moves ``.local``.

Settings come from the environment, then ``local.settings.json``, then the defaults in
``local.settings.json.example``; the launcher's and the app's are validated before
anything starts, and a bad one ends the launcher with one line naming it. Before the
host accepts requests it seeds the dev tenant ``tenant-001``, project ``project-001``
and the key ``DEV_API_KEY``; then it prints a ready-to-paste upload and the project's
webhook signing secret. However it ends (a bad setting, Ctrl-C, SIGTERM, a service
dying, an error), it stops what it started and nothing else.
"""
