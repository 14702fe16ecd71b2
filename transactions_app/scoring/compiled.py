"""A model's trees compiled to machine code, for the detector's hot path.

LightGBM walks its trees as data: on this machine about 15 us a row for
600 trees of 15 leaves, one thread. The same trees compiled by ``lleaves``
(through LLVM) predict the same margins (to 1e-13) in about 2 us a row.
Compiling takes seconds (3.5 for 300 trees, 8 for 600), so it runs on a thread of
its own when a model is loaded, and LightGBM serves until it is done: a
detector never waits for it (except to exit, if it is still compiling),
and a model that cannot be compiled is only slower, never wrong.
"""

import ctypes
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable

import numpy as np

logger = logging.getLogger(__name__)

# LLVM's compilation is not known to be safe from two threads at once (a
# model in force and one in shadow loaded together): one at a time.
_COMPILING = threading.Lock()


class CompiledTrees:
    """The margins of ``trees`` (LightGBM's text form), from machine code
    once ``ready`` is set and from ``fallback`` until then (or for good,
    when compiling failed: ``failed`` then holds why)."""

    def __init__(
        self, trees: str, fallback: Callable[[np.ndarray], np.ndarray]
    ) -> None:
        self._fallback = fallback
        self._compiled = None
        self.failed: str | None = None
        self.ready = threading.Event()
        self.done = threading.Event()
        # Not a daemon: a process that ends while LLVM compiles would crash
        # in it as the interpreter shuts down (SIGSEGV); it waits instead,
        # seconds at most, for the compilation to end.
        threading.Thread(
            target=self._compile, args=(trees,), name="compile-model", daemon=False
        ).start()

    def margins(self, matrix: np.ndarray) -> np.ndarray:
        compiled = self._compiled
        if compiled is None:
            return self._fallback(matrix)
        # One thread: the caller's batch is small and the cores are shared
        # with the consumer, the broker and the database.
        return compiled.predict(matrix, n_jobs=1)

    def _compile(self, trees: str) -> None:
        try:
            with _COMPILING:
                began = time.monotonic()
                self._compiled = compile_trees(trees)
                _return_freed_memory()
            self.ready.set()
            logger.info("model's trees compiled in %.1f s", time.monotonic() - began)
        except Exception as error:  # noqa: BLE001 - any failure leaves LightGBM serving
            self.failed = f"{type(error).__name__}: {error}"
            logger.warning(
                "cannot compile the model's trees, LightGBM serves it: %s", self.failed
            )
        finally:
            self.done.set()


def _return_freed_memory() -> None:
    """LLVM frees most of what compiling used (about 120 MiB for 600 trees)
    but glibc keeps it in the process: give it back to the system. Nothing
    to do on another C library."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def compile_trees(trees: str):
    """``trees`` compiled (an ``lleaves.Model`` predicting raw margins)."""
    import lleaves  # imported here: only a serving process pays for LLVM

    descriptor, path = tempfile.mkstemp(suffix=".txt", prefix="model-")
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(trees)
        model = lleaves.Model(model_file=path)
        model.compile(raw_score=True)
    finally:
        os.unlink(path)
    return model
