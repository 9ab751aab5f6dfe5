import sys

# sqlite-utils imports pandas and numpy whenever they are installed (the dashboard needs them),
# which costs the command line about half its start-up for nothing: no command uses them.
for unused in ("pandas", "numpy"):
    sys.modules.setdefault(unused, None)  # `import` now fails fast, and sqlite-utils goes without

from .cli import main  # noqa: E402

raise SystemExit(main())
