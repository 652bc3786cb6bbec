"""In-memory fakes of the ports in :mod:`lib.ports`, for service-level unit tests.

Each fake keeps its state in plain attributes that tests read to assert on end
state. ``tests/contract`` runs the same tests against each fake and the real
adapter, so a fake cannot drift from what the adapter does.
"""
