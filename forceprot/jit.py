"""How the kernel's inner functions are compiled: :data:`njit_inner`.

numba counts references to every array it hands to a function, takes out of a bundle or slices
(an atomic add on the array's memory record, before and after). The kernel's inner functions
(sampling, flight from the family, sensors, engagements, casualties, tallies) only read and
write arrays their caller owns, millions of times a second, so those counts are pure overhead:
about 40 % of the kernel's time on Taji, measured (1.18 against 2.03 us of CPU per rocket,
identical results), and more on two threads, whose counts land on the same shared arrays.

:data:`njit_inner` compiles without numba's runtime (its ``_nrt`` option), so no count is
taken. Such a function cannot allocate an array or return a view (numba refuses to compile
either) and must never return an array argument (its caller would release a reference it was
never given): the functions under it return scalars and tuples of scalars, and
``tests/test_code_rules.py`` (slow tier) compiles every one afresh and checks its signatures.
Functions that allocate (scratch, per-block draws) keep ``njit(cache=True)`` and may call inner
functions, never the other way round: numba compiles a plain ``njit`` function called from an
inner one without the runtime too, so every such callee is itself ``njit_inner`` (the slow test
flags any that is not).
"""

from __future__ import annotations

from numba import njit
from numba.core.cpu import CPUTargetOptions

__all__ = ["njit_inner"]

#: The option is one of numba's own target options (``numba.core.cpu``); should a numba release
#: drop it, the kernel still compiles, with reference counts.
_NO_RUNTIME = {"_nrt": False} if hasattr(CPUTargetOptions, "_nrt") else {}

#: Decorator of the kernel's inner functions: cached on disk, GIL released, no reference counts.
njit_inner = njit(cache=True, nogil=True, **_NO_RUNTIME)
