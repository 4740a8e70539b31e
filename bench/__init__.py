"""`make bench`: the project's engine path against the tools analysts use today.

``python -m bench.run --help`` lists the options; ``bench/README.md`` says what is compared,
how it is measured and how to read ``reports/bench/bench.md``.
"""
