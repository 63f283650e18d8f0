"""A real SMTP server on loopback (aiosmtpd) that can be told to refuse, stall or reject."""

import asyncio
import socket
import threading

from aiosmtpd.controller import Controller


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ScriptedHandler:
    """Answers DATA from ``data_replies`` (one per message, then 250), stalls EHLO ``stall_ehlo``
    times for ``stall_seconds``, refuses recipients in ``refused``; keeps what it accepted."""

    def __init__(self):
        self.data_replies = []
        self.stall_ehlo = 0
        self.stall_seconds = 0.0
        self.refused = {}
        self.received = []
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        if self.stall_ehlo:
            self.stall_ehlo -= 1
            await asyncio.sleep(self.stall_seconds)
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return self.refused[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_replies:
            reply = self.data_replies.pop(0)
            if not reply.startswith("250"):
                return reply
        with self.lock:
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


class SMTPServer:
    def __init__(self):
        self.handler = ScriptedHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    @property
    def received(self):
        return self.handler.received
