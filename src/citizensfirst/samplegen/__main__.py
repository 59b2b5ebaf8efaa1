"""``python -m citizensfirst.samplegen [--out DIR]``: regenerate the shipped sample study."""

from .generator import main

if __name__ == "__main__":
    raise SystemExit(main())
