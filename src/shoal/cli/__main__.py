"""``python -m shoal.cli``."""

from shoal.cli import main

if __name__ == "__main__":
    main()
