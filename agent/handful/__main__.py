from handful.cli.main import main

raise SystemExit(main())
