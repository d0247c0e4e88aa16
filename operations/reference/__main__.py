"""`python -m operations.reference [--check]`: write the reference pages, or check them."""

from __future__ import annotations

import argparse
import sys

from operations.reference import differences, write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m operations.reference",
        description="Write the manual's reference pages, .env.example and the figures' blocks.",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 naming what differs"
    )
    args = parser.parse_args(argv)
    if args.check:
        stale = differences()
        for path in stale:
            print(f"differs: {path}", file=sys.stderr)
        if stale:
            print(
                "Run `python -m operations.reference` and commit what it writes.", file=sys.stderr
            )
        return 1 if stale else 0
    for written in write():
        print(f"wrote {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
