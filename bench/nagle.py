"""Whether the local host's accepted connections have Nagle's algorithm off (``TCP_NODELAY``).

The host serves HTTP through uvicorn on a socket it binds itself (``tools/funchost/host.py``
``Host._listen``); uvicorn hands it to ``loop.create_server(sock=...)``, which is what this
check does too, then reads the option on the connection it accepts.
"""

from __future__ import annotations

import asyncio
import socket

from tools.funchost.host import Host


async def _accepted_nodelay(listening: socket.socket) -> bool:
    loop = asyncio.get_running_loop()
    seen: asyncio.Future[bool] = loop.create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted = transport.get_extra_info("socket")
            seen.set_result(bool(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)))
            transport.close()

    server = await loop.create_server(Probe, sock=listening)
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", listening.getsockname()[1])
        try:
            return await asyncio.wait_for(seen, 5)
        finally:
            writer.close()
    finally:
        server.close()
        await server.wait_closed()


def local_host_sets_nodelay() -> bool:
    """True when connections accepted on the socket ``Host._listen`` binds get ``TCP_NODELAY``."""
    return asyncio.run(_accepted_nodelay(Host(port=0)._listen()))
