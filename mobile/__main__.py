"""Run the tablet app: ``python -m mobile --server http://127.0.0.1:8000``."""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mobile", description="Doorstep tablet app")
    parser.add_argument("--server", default=os.environ.get("DOORSTEP_SERVER", "http://127.0.0.1:8000"),
                        help="server address shown on the sign-in screen (default %(default)s)")
    parser.add_argument("--data-dir", default=os.environ.get("DOORSTEP_APP_DATA"),
                        help="folder for the offline store (default: the platform's app data folder)")
    parser.add_argument("--portrait", action="store_true", help="open an 800x1280 window instead of 1280x800")
    args = parser.parse_args(argv)

    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our arguments are not Kivy's
    from kivy.config import Config

    width, height = (800, 1280) if args.portrait else (1280, 800)
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("kivy", "exit_on_escape", "0")

    from mobile.ui.app import DoorstepApp

    DoorstepApp(server_url=args.server, data_dir=args.data_dir).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
