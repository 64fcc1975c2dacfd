# A pipe never still: a child writes a repeating pattern into it as fast as it can, the parent
# reads it in odd-sized pieces and checks that the pattern is never broken (bytes lost or doubled).
import os
import sys

PATTERN = b'0123456789'
r, w = os.pipe()
if os.fork() == 0:
    os.close(r)
    while True:
        os.write(w, PATTERN)
os.close(w)
print('ready', flush=True)
at = 0
while True:
    chunk = os.read(r, 7)
    expected = (PATTERN * 2)[at:at + len(chunk)] if len(chunk) <= len(PATTERN) else None
    if chunk != expected:
        print(f'broken at {at}: {chunk!r}', flush=True)
        sys.exit(1)
    at = (at + len(chunk)) % len(PATTERN)
