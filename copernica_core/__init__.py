"""Copernica Connections: OAuth2 connections to Copernica accounts, checked and remembered.

The library never imports Streamlit; the dashboard and the command line both use
`open_workspace()` and the `Workspace` it returns.
"""

from .access import Action, Actor, Role
from .config import Settings, load_settings
from .errors import BadInput, ConfigError, CopernicaError, DamagedSecret, Forbidden, NotFound
from .models import Outcome

__all__ = ["Action", "Actor", "BadInput", "ConfigError", "CopernicaError", "DamagedSecret", "Forbidden",
           "NotFound", "Outcome", "Role", "Settings", "Workspace", "load_settings", "open_workspace"]


def __getattr__(name: str):
    """`Workspace` and `open_workspace` on first use: `python -m copernica_core` must be able to
    decide what the storage layer imports before it is imported (see __main__.py)."""
    if name in ("Workspace", "open_workspace"):
        from . import workspace

        return getattr(workspace, name)
    raise AttributeError(f"module 'copernica_core' has no attribute {name!r}")
