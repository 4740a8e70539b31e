"""``python -m helpers.runner --config configs/default.yaml``: the batch runner (:mod:`helpers.runner.run`)."""
import sys

from helpers.runner.run import main

sys.exit(main())
