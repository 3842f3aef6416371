#!/usr/bin/env python3
"""Prints the newest email of a kind sent to an address, decoded, from the
shop's mail folder (the .eml files `cargo run` writes): what the accounts
browser test reads on a real shop as E2E_EMAIL_COMMAND.

Usage: SHOP_MAIL_DIR=<data dir>/mail last-email.py <address> verify|reset
"""

import email
import email.policy
import os
import pathlib
import sys

LINKS = {"verify": "#/verify?token=", "reset": "#/reset-password?token="}


def main() -> int:
    if len(sys.argv) != 3 or sys.argv[2] not in LINKS:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    address, kind = sys.argv[1].lower(), sys.argv[2]
    folder = pathlib.Path(os.environ.get("SHOP_MAIL_DIR", ".shop-data/mail"))
    newest = None
    for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address not in str(message.get("To", "")).lower():
            continue
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        if LINKS[kind] in text:
            newest = text
    if newest is None:
        print(f"no {kind} email to {address} in {folder}", file=sys.stderr)
        return 1
    print(newest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
