"""A real SMTP server for mamori's notification tests (aiosmtpd).

Usage: smtp_sink.py PORT SPOOL_DIR

Listens on 127.0.0.1:PORT, accepts every message and writes each, decoded
by Python's e-mail parser, to SPOOL_DIR as one JSON file: envelope sender
and recipients, header From/To, Subject and the plain-text body. Prints
"ready" once it accepts connections; runs until killed.
"""

import json
import os
import sys
import time
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class Spool:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        body = message.get_body(preferencelist=("plain",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(message["From"]),
            "to": str(message["To"]),
            "subject": str(message["Subject"]),
            "body": body.get_content() if body is not None else "",
        }
        self.count += 1
        name = os.path.join(self.folder, f"{self.count:05}.json")
        with open(name + ".tmp", "w", encoding="utf-8") as out:
            json.dump(record, out, ensure_ascii=False)
        os.replace(name + ".tmp", name)
        return "250 Message accepted for delivery"


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    os.makedirs(folder, exist_ok=True)
    controller = Controller(Spool(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
