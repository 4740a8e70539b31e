"""Start, stop or query a local Spark standalone cluster (a master and one worker on 127.0.0.1).

    python scripts/spark_cluster.py start [--port 7077] [--cores 1] [--memory 1g] [--dir FOLDER]
    python scripts/spark_cluster.py status
    python scripts/spark_cluster.py stop

See :mod:`helpers.io.spark_cluster`.
"""
import sys

from helpers.io.spark_cluster import main

if __name__ == "__main__":
    sys.exit(main())
