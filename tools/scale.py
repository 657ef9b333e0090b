"""Run the pipeline at another scale: the overlays params/<scale>.yaml hold the params.yaml keys that differ.

    python tools/scale.py paper                      # print the `dvc exp run -S ...` command (DVC records params.yaml)
    python tools/scale.py medium --write             # write the values into params.yaml (comments kept), then `dvc repro`
    python tools/scale.py paper --study polycrystal  # only that study's sections
Undo --write with `git checkout params.yaml`. The logic is `pgnb.core` (`scale_command`, `apply_scale`).
"""
import argparse
import sys

from pgnb.core import ParamsError, apply_scale, scale_command, scales


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scale", help=f"one of {scales()}")
    parser.add_argument("--study", default=None, help="only the sections of this study (e.g. polycrystal)")
    parser.add_argument("--write", action="store_true", help="write the values into params.yaml")
    args = parser.parse_args(argv)
    try:
        if args.write:
            changed = apply_scale(args.scale, args.study)
            print("\n".join(changed) if changed else f"params.yaml is already at scale {args.scale!r}")
        else:
            print(scale_command(args.scale, args.study))
    except ParamsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
