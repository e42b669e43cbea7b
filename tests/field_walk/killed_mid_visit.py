"""Run by test_the_app_killed_mid_visit_resumes_where_it_was in its own process: the real app in a
window, signed in against the real server, a visit half filled in with real touches, then SIGKILL
(no on_stop, nothing flushed: what is on disk is what a phone that dies mid-visit keeps).

    python tests/field_walk/killed_mid_visit.py DATA_DIR SERVER_URL
"""

import os
import signal
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="doorstep-kivy-child-"))
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")


def main() -> None:
    data, server = Path(sys.argv[1]), sys.argv[2]
    from kivy.config import Config

    Config.set("graphics", "width", "1280")
    Config.set("graphics", "height", "800")
    Config.set("graphics", "maxfps", "0")
    for key, _ in Config.items("input"):
        Config.remove_option("input", key)
    from kivy.base import EventLoop
    from kivy.core.window import Window

    EventLoop.ensure_window()
    EventLoop.start()
    from tests.field_walk.conftest import LANDSCAPE, Walk, make_app, open_walk_list
    from tests.field_walk.test_shift import answer

    app = make_app(Window, data, server, LANDSCAPE)
    w = Walk(Window, app, "killed_mid_visit", LANDSCAPE)
    open_walk_list(w)
    street = sorted(r.name for r in app.streets_vm.rows)[15 % len(app.streets_vm.rows)]
    w.open_street(street)
    address = w.free_doors(1)[0]
    w.tap(w.door_row(address), step="door")
    w.tap(w.button("Answered"), step="answered")
    answer(w, "feel_safe_after_dark", "2")
    visit = w.screen
    w.tap(visit.ids.notes, step="notes")
    w.type_text(visit.ids.notes, "Dog in the garden")
    (data / "address.txt").write_text(address)
    (data / "street.txt").write_text(street)
    os.kill(os.getpid(), signal.SIGKILL)  # mid-visit, no warning


if __name__ == "__main__":
    main()
