# A full-screen program: curses owns the terminal; on SIGUSR1 it redraws and reports the size it
# sees (curses and the kernel's) to the file argv[1].
import curses, signal, sys, os, fcntl, termios, struct

def main(screen):
    report = open(sys.argv[1], "a", buffering=1)
    asked = []
    signal.signal(signal.SIGUSR1, lambda *_: asked.append(1))
    def tell():
        rows, cols = screen.getmaxyx()
        krows, kcols = struct.unpack("hh", fcntl.ioctl(0, termios.TIOCGWINSZ, b"\0" * 4))
        screen.erase()
        screen.addstr(0, 0, f"full screen {rows}x{cols}")
        screen.refresh()
        report.write(f"size curses={rows}x{cols} kernel={krows}x{kcols} pid={os.getpid()}\n")
    tell()
    report.write("ready\n")
    screen.timeout(20)
    while True:
        screen.getch()
        if asked:
            asked.clear()
            tell()

curses.wrapper(main)
