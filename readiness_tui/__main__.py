"""`python -m readiness_tui` behaves like the `readiness` command."""

from readiness_tui.cli import main

raise SystemExit(main())
