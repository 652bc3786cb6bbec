"""Storage queue triggers and the queue output binding, with the Functions host's queue semantics.

Per function one listener polls its queue (receive with a long visibility timeout, run up to
``batchSize + newBatchThreshold`` invocations at once, back off exponentially while idle),
deletes a message when the function succeeds, makes it visible again after ``visibilityTimeout``
when it fails, and moves it to ``<queue>-poison`` once ``maxDequeueCount`` is used up. The storage
SDK is synchronous here (no aiohttp), so its calls run in threads.

While a function runs, its message stays hidden: the Functions queue listener receives messages
with a 10-minute visibility timeout and renews it each time half of it has passed, for as long as
the function runs (Microsoft.Azure.WebJobs.Extensions.Storage.Queues ``QueueListener``: "if the
function runs longer than this, the invisibility will be updated on a timer periodically";
``CreateUpdateMessageVisibilityTimer``: "Update a message's visibility when it is halfway to
expiring"). Each renewal returns a new pop receipt, which the later delete or release must use
(azure-sdk-for-net pull request 22569). A function that times out (host.json ``functionTimeout``)
has failed like any other, so its message is released or poisoned by the same rule: the receive
already counted the dequeue.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import inspect
import logging
import math
from collections.abc import Iterable
from typing import Any

import azure.functions as func
from azure.core.exceptions import AzureError, HttpResponseError, ResourceExistsError
from azure.functions.queue import QueueMessage as FuncQueueMessage
from azure.storage.queue import LinearRetry, QueueClient, QueueMessage

from .config import QueueOptions
from .invoker import Invoker
from .loader import FunctionInfo

log = logging.getLogger("funchost")

MIN_POLLING_INTERVAL = 0.1  # seconds, the real host's minimum
RECEIVE_VISIBILITY_TIMEOUT = 600  # seconds a received message stays hidden; renewed at half of it
MIN_RENEWAL_RETRY = (
    60.0  # seconds: a failed renewal is retried sooner, but not below this (or half the lease)
)


def encode(body: bytes, encoding: str) -> str:
    """Queue message text for ``body`` under ``messageEncoding`` (``base64`` or ``none``)."""
    return base64.b64encode(body).decode("ascii") if encoding == "base64" else body.decode("utf-8")


def decode(content: str, encoding: str) -> bytes:
    """The message body; raises ``ValueError`` when it is not valid for the encoding."""
    if encoding != "base64":
        return content.encode("utf-8")
    try:
        return base64.b64decode(content.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError("message is not base64") from exc


def open_queue(connection_string: str, queue_name: str) -> QueueClient:
    """A queue client that sends and receives message text as is (encoding is done here).

    Short retries: the SDK's default backoff starts at 15 s, which stalls the listeners
    long after the storage account is back; the poll loop retries anyway.
    """
    return QueueClient.from_connection_string(
        connection_string,
        queue_name,
        retry_policy=LinearRetry(backoff=1, random_jitter_range=1, retry_total=2),
    )


def ensure_queue(client: QueueClient) -> None:
    """Create the queue unless it exists."""
    with contextlib.suppress(ResourceExistsError):
        client.create_queue()


def message_bodies(value: Any) -> list[bytes]:
    """The message bodies an output value stands for: str, bytes, QueueMessage or a list of them."""
    if isinstance(value, str):
        return [value.encode("utf-8")]
    if isinstance(value, bytes | bytearray):
        return [bytes(value)]
    if isinstance(value, func.QueueMessage):  # the base of the trigger's message class too
        return [value.get_body()]
    if isinstance(value, Iterable):
        return [body for item in value for body in message_bodies(item)]
    raise TypeError(f"cannot send {type(value).__name__} to a queue (use str, bytes or QueueMessage)")


class QueueOutput:
    """Writer for a queue output binding: sends each value set on the ``func.Out``."""

    def __init__(self, client: QueueClient, encoding: str) -> None:
        self.client = client
        self.encoding = encoding
        self._created = False

    async def __call__(self, value: Any) -> None:
        """Send one message per str/bytes/QueueMessage (or per item of a list of them)."""
        await asyncio.to_thread(self._send, message_bodies(value))

    def _send(self, bodies: list[bytes]) -> None:
        if not self._created:
            ensure_queue(self.client)
            self._created = True
        for body in bodies:
            self.client.send_message(encode(body, self.encoding))


class QueueListener:
    """Polls one queue and drives one queue-triggered function."""

    def __init__(
        self,
        info: FunctionInfo,
        invoker: Invoker,
        client: QueueClient,
        poison: QueueClient,
        options: QueueOptions,
        lease_seconds: float = RECEIVE_VISIBILITY_TIMEOUT,
    ) -> None:
        self.info = info
        self.invoker = invoker
        self.client = client
        self.poison = poison
        self.options = options
        self.lease_seconds = lease_seconds  # a test may shorten it to see renewals
        self._lease_param = max(1, math.ceil(lease_seconds))  # the service takes whole seconds
        annotation = inspect.signature(info.func).parameters[info.trigger.name].annotation
        self._as = (
            "str" if annotation in (str, "str") else "bytes" if annotation in (bytes, "bytes") else "message"
        )
        self._poison_created = False

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set, then wait for the invocations still running."""
        delay, running, created = MIN_POLLING_INTERVAL, set[asyncio.Task[None]](), False
        try:
            while not stop.is_set():
                if len(running) > self.options.new_batch_threshold:
                    await asyncio.wait(set(running), timeout=0.5, return_when=asyncio.FIRST_COMPLETED)
                    continue
                try:
                    if not created:
                        await asyncio.to_thread(ensure_queue, self.client)
                        created = True
                    messages = await asyncio.to_thread(self._receive)
                except AzureError as exc:
                    log.warning("Polling queue %s failed: %s", self.client.queue_name, exc)
                    messages = []
                if stop.is_set():
                    # Received while stopping: hand them back untouched instead of starting new work.
                    await asyncio.gather(*(self._settle(self._release, m, 0) for m in messages))
                    break
                for message in messages:
                    task = asyncio.create_task(self._process(message))
                    running.add(task)
                    task.add_done_callback(running.discard)
                if messages:
                    delay = MIN_POLLING_INTERVAL
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                delay = min(delay * 2, self.options.max_polling_interval)
        finally:
            if running:
                await asyncio.gather(*running, return_exceptions=True)

    def _receive(self) -> list[QueueMessage]:
        size = self.options.batch_size
        pages = self.client.receive_messages(
            messages_per_page=size, max_messages=size, visibility_timeout=self._lease_param
        )
        return list(pages)

    async def _process(self, message: QueueMessage) -> None:
        count = int(message.dequeue_count or 0)
        detail = f"queue={self.client.queue_name} message={message.id} dequeue_count={count}"
        try:
            body = decode(str(message.content or ""), self.options.message_encoding)
        except ValueError:
            self._log_poison(message, "is not valid base64")
            await self._settle(self._move_to_poison, message, str(message.content or "").encode("utf-8"))
            return
        if count > self.options.max_dequeue_count:
            self._log_poison(message, f"was dequeued {count} times")
            await self._settle(self._move_to_poison, message, body)
            return
        lock, done = asyncio.Lock(), asyncio.Event()
        renewal = asyncio.create_task(self._keep_hidden(message, lock, done))
        try:
            outcome = await self.invoker.invoke(self.info, self._argument(message, body), detail)
            done.set()
            async with lock:  # a renewal in flight changes the pop receipt: let it finish first
                if outcome.ok:
                    await self._settle(self._delete, message)
                elif count >= self.options.max_dequeue_count:
                    limit = self.options.max_dequeue_count
                    self._log_poison(message, f"has reached MaxDequeueCount of {limit}")
                    await self._settle(self._move_to_poison, message, body)
                else:
                    await self._settle(self._release, message, round(self.options.visibility_timeout))
        finally:
            done.set()
            renewal.cancel()

    async def _keep_hidden(self, message: QueueMessage, lock: asyncio.Lock, done: asyncio.Event) -> None:
        """Extend the message's visibility at half the lease until ``done``, keeping the new pop receipt."""
        interval = self.lease_seconds / 2
        delay = interval
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), delay)
            async with lock:
                if done.is_set():
                    return
                try:
                    receipt = await asyncio.to_thread(
                        self.client.update_message,
                        message.id,
                        message.pop_receipt,
                        visibility_timeout=self._lease_param,
                    )
                except AzureError as exc:
                    queue_name = self.client.queue_name
                    log.warning(
                        "Message %s on %s: renewing its visibility failed: %s", message.id, queue_name, exc
                    )
                    if isinstance(exc, HttpResponseError) and exc.status_code in (400, 404):
                        return  # deleted, or its pop receipt is stale: nothing left to renew
                    delay = min(interval, MIN_RENEWAL_RETRY)
                    continue
                message.pop_receipt = receipt.pop_receipt
                message.next_visible_on = receipt.next_visible_on
                delay = interval

    def _argument(self, message: QueueMessage, body: bytes) -> Any:
        if self._as == "str":
            return body.decode("utf-8")
        if self._as == "bytes":
            return body
        return FuncQueueMessage(  # type: ignore[no-untyped-call]
            id=message.id,
            body=body,
            dequeue_count=message.dequeue_count,
            expiration_time=message.expires_on,
            insertion_time=message.inserted_on,
            time_next_visible=message.next_visible_on,
            pop_receipt=message.pop_receipt,
        )

    async def _settle(self, action: Any, *args: Any) -> None:
        try:
            await asyncio.to_thread(action, *args)
        except AzureError as exc:
            # The message stays hidden until its visibility timeout ends, then it is retried.
            log.warning("Could not settle message %s on %s: %s", args[0].id, self.client.queue_name, exc)

    def _delete(self, message: QueueMessage) -> None:
        self.client.delete_message(message.id, message.pop_receipt)

    def _release(self, message: QueueMessage, visibility_timeout: int) -> None:
        self.client.update_message(message.id, message.pop_receipt, visibility_timeout=visibility_timeout)

    def _log_poison(self, message: QueueMessage, reason: str) -> None:
        log.warning(
            "Message %s on queue '%s' %s: moving it to queue '%s'",
            message.id,
            self.client.queue_name,
            reason,
            self.poison.queue_name,
        )

    def _move_to_poison(self, message: QueueMessage, body: bytes) -> None:
        if not self._poison_created:
            ensure_queue(self.poison)
            self._poison_created = True
        self.poison.send_message(encode(body, self.options.message_encoding))
        self._delete(message)
