"""Start a child process that a test will interrupt with SIGINT, whatever started pytest.

A shell without job control (a script, ``cmd &`` in CI, a background job of a tool) starts
its background commands with SIGINT *ignored*, and the ignored disposition is inherited
through ``exec``: Python then never installs its KeyboardInterrupt handler, so a child that
a test sends SIGINT to keeps running (the README test command failed twice that way when
started from a background job). That is Unix's intent for such jobs, and the CLI honours
it; SIGTERM (``kill``) is handled explicitly and works either way. A test that means to
press Ctrl-C resets SIGINT to its default in the child before ``exec``, so the child starts
as it would from a terminal."""

from __future__ import annotations

import signal
import subprocess


def _sigint_default() -> None:  # runs in the child between fork and exec
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interruptible(args: list[str], **kwargs) -> subprocess.Popen:
    """``subprocess.Popen(args, **kwargs)`` with SIGINT at its default in the child."""
    return subprocess.Popen(args, preexec_fn=_sigint_default, **kwargs)
