#!/usr/bin/python3
"""In a fresh network namespace: brings up lo, makes PORT the only ephemeral port, holds it (TCP and
UDP) while COMMAND runs, and exits with COMMAND's status. Usage: hold_port.py PORT COMMAND..."""

import fcntl
import socket
import struct
import subprocess
import sys
from pathlib import Path

SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def bring_up_loopback():
    # What `ip link set lo up` does, without needing iproute2 on the machine.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(s, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | IFF_UP))


def main():
    port, command = int(sys.argv[1]), sys.argv[2:]
    bring_up_loopback()
    Path("/proc/sys/net/ipv4/ip_local_port_range").write_text(f"{port} {port}\n")
    with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        tcp.bind(("127.0.0.1", port))
        tcp.listen()
        udp.bind(("127.0.0.1", port))
        return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
