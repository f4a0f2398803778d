"""Unpickling dataset files that may come from anyone, without running code.

A pickle runs whatever callables it names (`os.system`, `builtins.exec`, ...) while it loads. CIFAR-10's
python batches are pickles of dicts of strings, ints, lists and numpy uint8 arrays, so the unpickler below
resolves exactly the globals such a file needs, each wrapped to accept only plain numeric arrays:

    numpy(._core|.core).multiarray._reconstruct   only for numpy.ndarray itself
    numpy.ndarray                                  a token for _reconstruct's first argument (not callable)
    numpy.dtype                                    never the object dtype (it would hold Python objects)
    numpy(._core|.core).multiarray.scalar          numeric dtypes only
    numpy(._core|.core).numeric._frombuffer        bytes to a numeric array (protocol-5 pickles)
    _codecs.encode                                 latin-1 only (protocol-2 pickles write bytes this way)

Every other global (and persistent ids) raises UnsafePickle before anything is called. Plain opcodes only
build dicts, lists, tuples, strings, bytes and numbers; BUILD can only reach the setstate of the ndarray
and dtype objects made above. So loading cannot run code, whatever the bytes are.
"""

from __future__ import annotations

import codecs
import io
import pickle
from typing import Any

import numpy as np


class UnsafePickle(pickle.UnpicklingError):
    """The pickle names something outside the allow-list (or is not a pickle this loader reads)."""


def _dtype(*args: Any) -> np.dtype:
    dtype = np.dtype(*args)
    if dtype.hasobject:
        raise UnsafePickle("an object-dtype array (it would hold Python objects) is not allowed")
    return dtype


class _NDArrayToken:
    """Stands for numpy.ndarray in a pickle: only _reconstruct accepts it; calling it is an error."""


def _reconstruct(subtype: Any, shape: Any, dtype: Any) -> np.ndarray:
    if subtype is not _NDArrayToken:
        raise UnsafePickle("only plain numpy arrays are allowed")
    return np.ndarray.__new__(np.ndarray, shape, _dtype(dtype))


_NUMPY_SCALAR = (getattr(np, "_core", None) or np.core).multiarray.scalar


def _scalar(dtype: Any, *args: Any) -> Any:
    if not isinstance(dtype, np.dtype) or dtype.hasobject:
        raise UnsafePickle("only numeric numpy scalars are allowed")
    return _NUMPY_SCALAR(dtype, *args)


def _frombuffer(buf: Any, dtype: Any, shape: Any, order: Any) -> np.ndarray:
    if not isinstance(buf, (bytes, bytearray)):
        raise UnsafePickle("array data must be bytes")
    return np.frombuffer(buf, dtype=_dtype(dtype)).reshape(shape, order=order).copy()


def _encode(text: Any, encoding: str = "utf-8") -> bytes:
    if not isinstance(text, str) or codecs.lookup(encoding).name != "iso8859-1":
        raise UnsafePickle("only latin-1 encoded bytes are allowed")
    return text.encode("latin-1")


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.multiarray", "scalar"): _scalar,
    ("numpy._core.multiarray", "scalar"): _scalar,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("numpy", "ndarray"): _NDArrayToken,
    ("numpy", "dtype"): _dtype,
    ("_codecs", "encode"): _encode,
}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickle(f"the pickle calls {module[:60]}.{name[:60]}, which is not allowed") from None

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickle("persistent ids are not allowed")


def loads_numpy(data: bytes) -> Any:
    """Load a pickle of plain data and numeric numpy arrays (Python 2 pickles read as latin-1).

    Raises UnsafePickle for anything else (and for malformed data: every failure of the loader is one).
    """
    try:
        return _NumpyOnlyUnpickler(io.BytesIO(data), encoding="latin1").load()
    except UnsafePickle:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError,
            MemoryError, OverflowError, RecursionError, UnicodeError) as exc:  # fmt: skip
        raise UnsafePickle(f"not a readable pickle ({type(exc).__name__}: {str(exc)[:80]})") from None
