"""The ports services depend on: ``typing.Protocol`` interfaces the adapters implement.

Services import only these (and the domain); :mod:`lib.bootstrap` wires the real
adapters, and the service-level unit tests pass in-memory fakes that the contract
suite (``tests/contract``) runs against the same tests as the real adapters.
"""
