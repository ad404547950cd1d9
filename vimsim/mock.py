"""``with vimsim.mock():`` / ``@vimsim.mock()``: the in-process mode
(vimsim.testing.mock, which has the details). This module is itself
callable, so ``import vimsim.mock`` is all it takes; ``vimsim.mock(...)``
takes what `Mock` takes."""
import sys
import types

from vimsim.testing.mock import Mock

__all__ = ['Mock']


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **fields):
        return Mock(*args, **fields)


sys.modules[__name__].__class__ = _CallableModule
