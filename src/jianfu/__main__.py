from jianfu.cli import main

raise SystemExit(main())
