import sys

from tf_tui.cli import main

sys.exit(main())
