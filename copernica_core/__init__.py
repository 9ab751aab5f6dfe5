"""Copernica Connections: OAuth2 connections to Copernica accounts, checked and remembered.

The library never imports Streamlit; the dashboard and the command line both use
`open_workspace()` and the `Workspace` it returns.
"""

from .access import Action, Actor, Role
from .config import Settings, load_settings
from .errors import BadInput, ConfigError, CopernicaError, DamagedSecret, Forbidden, NotFound
from .models import Outcome
from .workspace import Workspace, open_workspace

__all__ = ["Action", "Actor", "BadInput", "ConfigError", "CopernicaError", "DamagedSecret", "Forbidden",
           "NotFound", "Outcome", "Role", "Settings", "Workspace", "load_settings", "open_workspace"]
