import sys

# sqlite-utils imports pandas whenever it is installed (the dashboard needs it), which costs
# the command line about 0.4 s at every start for nothing: no command uses a DataFrame.
sys.modules.setdefault("pandas", None)  # `import pandas` now fails fast, and sqlite-utils goes without

from .cli import main  # noqa: E402

raise SystemExit(main())
