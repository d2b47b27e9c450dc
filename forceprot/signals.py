"""Termination signals as exceptions, so every writer's cleanup runs.

``timeout``, containers and batch schedulers stop a process with SIGTERM (and a closed terminal
sends SIGHUP). Python's default for those is to die at once, leaving the temp files and folders
of a write in progress behind. :func:`install_signal_handlers` turns them into
:class:`Terminated`, which unwinds like Ctrl-C through ``finally`` and ``except BaseException``
blocks (the writers in :mod:`forceprot.atomic` remove their temps there) and then ends the
process with the shell's code for a signal death, 128 + the signal number.
"""

from __future__ import annotations

import signal
import threading

__all__ = ["TERMINATING_SIGNALS", "Terminated", "install_signal_handlers"]

#: Signals turned into :class:`Terminated` (SIGINT keeps Python's KeyboardInterrupt).
TERMINATING_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP")
                            if hasattr(signal, name))


class Terminated(SystemExit):
    """The process was asked to stop by ``signum``; exits with code ``128 + signum``.

    A :class:`SystemExit`, so ``except Exception`` does not swallow it and Python exits with its
    code and no traceback once it has unwound.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(128 + signum)


def _raise(signum: int, frame) -> None:
    # Once is enough: a second signal during cleanup must not interrupt the cleanup.
    for sig in TERMINATING_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise Terminated(signum)


def install_signal_handlers() -> None:
    """Make SIGTERM and SIGHUP raise :class:`Terminated` in the main thread.

    Call once, from the command-line entry point (library code leaves process-wide state to the
    program that embeds it). A no-op outside the main thread, where Python cannot set handlers.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in TERMINATING_SIGNALS:
        signal.signal(sig, _raise)
