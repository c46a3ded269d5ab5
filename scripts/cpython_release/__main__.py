from cpython_release.cli import main

raise SystemExit(main())
