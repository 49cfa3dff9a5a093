"""Memos over two of Beam's start-up introspections that it repeats hundreds of times per pipeline.

Measured on ``curation docs`` (bench/ingest.py, docs/ingest.md "Framework overhead"): building
and starting a pipeline of ~60 ParDos called

- ``PipelineOptions.view_as`` ~480 times (type checks, ``Pipeline.apply``), each building an
  argparse parser and parsing the flags again: :class:`MemoizedOptions` keeps one view per
  options class. A view holds no state of its own (every view shares the ``_all_options``
  dict of the options it came from), so a kept view reads and writes exactly what a new
  one would.
- ``userstate.get_dofn_specs`` ~450 times (``inspect.signature`` of every method of the DoFn,
  ~14k signatures): :func:`install` memoizes it per DoFn class. The specs are read from the
  defaults of the DoFn's bound methods, so they depend on the class alone unless the
  instance holds bound methods of its own (then it is not memoized) or the class computes
  attributes (``__getattr__``, not memoized either).

Together about 0.4 s of CPU per pipeline on this machine (the whole fixed cost is ~2 s).
"""
from __future__ import annotations

import types

from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.transforms import userstate


class MemoizedOptions(PipelineOptions):
    """PipelineOptions whose ``view_as(cls)`` builds each view once."""

    def view_as(self, cls):
        views = self.__dict__.get("_views")
        if views is None:
            views = {}
            object.__setattr__(self, "_views", views)  # PipelineOptions.__setattr__ takes option names only
        view = views.get(cls)
        if view is None or view._all_options is not self._all_options:
            view = views[cls] = super().view_as(cls)
        return view

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_views", None)
        return state


_SPECS_BY_CLASS: dict[type, tuple[frozenset, frozenset]] = {}
_beam_get_dofn_specs = userstate.get_dofn_specs


def _class_determines_specs(dofn) -> bool:
    if hasattr(type(dofn), "__getattr__"):
        return False
    return not any(isinstance(value, types.MethodType) for value in getattr(dofn, "__dict__", {}).values())


def memoized_get_dofn_specs(dofn):
    """``userstate.get_dofn_specs`` computed once per DoFn class (see the module docstring)."""
    if not _class_determines_specs(dofn):
        return _beam_get_dofn_specs(dofn)
    specs = _SPECS_BY_CLASS.get(type(dofn))
    if specs is None:
        states, timers = _beam_get_dofn_specs(dofn)
        specs = _SPECS_BY_CLASS[type(dofn)] = (frozenset(states), frozenset(timers))
    return set(specs[0]), set(specs[1])


def install() -> None:
    """Route Beam's calls (``userstate.get_dofn_specs``, also used by ``is_stateful_dofn``) to the memo."""
    userstate.get_dofn_specs = memoized_get_dofn_specs


install()
