#!/usr/bin/python3
"""Workloads and clients of the control and readiness tests.

notify-when FILE       wait for FILE, then READY=1 (STATUS= first); then idle
watchdog N FILE        READY=1, then N pings 100 ms apart, then silence;
                       appends a line to FILE at each start
tcp-when PORT FILE     wait for FILE, then listen on 127.0.0.1:PORT; idle
handover FILE          fork; the child sends MAINPID=itself and READY=1;
                       the parent exits once FILE exists
manager SOCK OUT       a datagram "manager" bound at SOCK, appending what it
                       gets to OUT, until it gets STOPPING=1
raw SOCK HEX           send one SOCK_SEQPACKET packet (bytes as hex) to the
                       control socket, print the reply packets as a repr
big SOCK N             send a packet of N bytes of 'a'
"""
import os
import socket
import sys
import time


def notify(msg):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.connect(os.environ["NOTIFY_SOCKET"])
    s.send(msg.encode())
    s.close()


def wait_file(path):
    while not os.path.exists(path):
        time.sleep(0.02)


def idle():
    while True:
        time.sleep(3600)


def reply_of(sock, data):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sock)
    s.send(data)
    out = []
    while True:
        p = s.recv(70000)
        if not p:
            break
        out.append(p)
        if p[:1] == b"x":
            break
    print(repr(out))


def main(a):
    if a[0] == "notify-when":
        wait_file(a[1])
        notify("STATUS=almost there")
        notify("READY=1\nSTATUS=serving")
        idle()
    elif a[0] == "watchdog":
        with open(a[2], "a") as f:
            f.write("start\n")
        notify("READY=1")
        for _ in range(int(a[1])):
            time.sleep(0.1)
            notify("WATCHDOG=1")
        idle()
    elif a[0] == "tcp-when":
        wait_file(a[2])
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(a[1])))
        s.listen(16)
        while True:
            c, _ = s.accept()
            c.close()
    elif a[0] == "handover":
        if os.fork() == 0:
            notify("MAINPID=%d\nREADY=1" % os.getpid())
            idle()
        wait_file(a[1])
    elif a[0] == "manager":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(a[1])
        while True:
            m = s.recv(4096).decode()
            with open(a[2], "a") as f:
                f.write(m + "\n")
            if "STOPPING=1" in m:
                return
    elif a[0] == "raw":
        reply_of(a[1], bytes.fromhex(a[2]))
    elif a[0] == "big":
        reply_of(a[1], b"a" * int(a[2]))


main(sys.argv[1:])
