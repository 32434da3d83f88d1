"""Prints c_models/common/regions.h, the C side of the region layouts:

    python -m spinnpop.mapping.c_header > c_models/common/regions.h
"""

import sys

from spinnpop.mapping.regions import c_header

if __name__ == "__main__":
    sys.stdout.write(c_header())
