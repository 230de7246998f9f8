#!/usr/bin/python3
"""Runs a command and checks its exit code and that its stderr contains a message.

Usage: expect_error.py EXIT_CODE MESSAGE -- COMMAND [ARGS...]
Fails (exit 1) when the code differs, the message is missing, or the command crashed.
"""
import subprocess
import sys


def main(argv):
    sep = argv.index("--")
    want_code, message, cmd = int(argv[1]), " ".join(argv[2:sep]), argv[sep + 1:]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    ok = p.returncode == want_code and message in p.stderr
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    if ok and len(lines) != 1:
        print("expected exactly one line on stderr")
        ok = False
    if not ok:
        print(f"exit code {p.returncode} (want {want_code}); stderr:\n{p.stderr}\nwant substring: {message}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
