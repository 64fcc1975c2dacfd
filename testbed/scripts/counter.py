# Counts in memory and appends "N SUM" lines to FILE, SUM being the sum of a list it keeps: a
# restart or lost memory shows as a line out of sequence. With --hold-socket it also holds a
# netlink socket, a descriptor ferry cannot carry.
import socket, sys, time

held = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE) if "--hold-socket" in sys.argv else None
seen = []
with open(sys.argv[1], "a", buffering=1) as out:
    while True:
        seen.append(len(seen) + 1)
        out.write(f"{len(seen)} {sum(seen)}\n")
        time.sleep(0.02)
