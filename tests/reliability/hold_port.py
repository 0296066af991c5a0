#!/usr/bin/python3
"""Holds 127.0.0.1:PORT for TCP and UDP while it runs COMMAND, and exits with COMMAND's status."""

import socket
import subprocess
import sys


def main():
    port, command = int(sys.argv[1]), sys.argv[2:]
    with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        tcp.bind(("127.0.0.1", port))
        tcp.listen()
        udp.bind(("127.0.0.1", port))
        return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
