import sys

from tunerec.cli import main

sys.exit(main())
