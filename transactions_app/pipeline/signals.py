"""How the long-running commands stop: SIGINT and SIGTERM ask the loop to
finish what it has in hand, commit and return, instead of dying mid-batch."""

import signal
import threading


def stop_on_termination(loop) -> None:
    """Make SIGINT and SIGTERM call ``loop.signal_shutdown()`` (which must
    be safe from a signal handler). Only on the main thread, the only one
    Python lets install handlers: a command run on another thread (a test's)
    leaves the process's handlers alone."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: loop.signal_shutdown())
