"""``python -m helpers.io.synth``: generate the synthetic shop (:func:`helpers.io.synth.writing.main`)."""
import sys

from helpers.io.synth.writing import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
