"""Copernica Connections: OAuth2 connections to Copernica accounts, checked and remembered.

The library never imports Streamlit; the dashboard and the command line both use
`open_workspace()` and the `Workspace` it returns.
"""

from .config import ConfigError, Settings, load_settings
from .models import Outcome
from .workspace import Workspace, open_workspace

__all__ = ["ConfigError", "Outcome", "Settings", "Workspace", "load_settings", "open_workspace"]
