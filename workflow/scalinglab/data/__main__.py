"""`python -m scalinglab.data verify results/data/val.json ...`: check token files against their sidecars."""
import argparse
import sys

from scalinglab.data.tokens import DataError, verify_tokens


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scalinglab.data", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    verify = sub.add_parser("verify", help="check size and sha256 of token files (their .json sidecars)")
    verify.add_argument("sidecars", nargs="+")
    args = parser.parse_args(argv)
    for path in args.sidecars:
        try:
            meta = verify_tokens(path, check_sha256=True)
        except DataError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        print(f"ok {path}: {meta['tokens']} tokens, {meta['documents']} documents, sha256 {meta['sha256'][:12]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
