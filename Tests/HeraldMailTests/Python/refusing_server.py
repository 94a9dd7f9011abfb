"""An aiosmtpd server for HeraldMail's interop tests.

Usage: refusing_server.py PORT LOGFILE
Refuses recipients whose local part starts with "soft" (450 4.2.0) or "hard"
(550 5.1.1), accepts the others, and appends one line per accepted message,
"DELIVERED <recipient> <bytes>", to LOGFILE. Runs until terminated.
"""
import asyncio
import signal
import sys

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, log):
        self.log = log

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("soft"):
            return "450 4.2.0 mailbox busy, try again later"
        if local.startswith("hard"):
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with open(self.log, "a", encoding="utf-8") as log:
            for rcpt in envelope.rcpt_tos:
                log.write(f"DELIVERED {rcpt} {len(envelope.original_content)}\n")
        return "250 2.0.0 accepted"


def main():
    port, log = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Handler(log), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"listening on {port}", flush=True)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()


main()
