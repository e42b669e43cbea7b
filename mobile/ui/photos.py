"""Photos on a form (issue 15): the strip of a fix's or follow-up's photos, and where a photo comes from.

``PhotoStrip`` shows a form's photos for one target (mobile.viewmodels.photos) as thumbnails, each with
its stage and a Remove button, and one button per stage ("Photo before", "Photo after", or "Add a
photo"). A thumbnail is made from the photo decrypted in memory and scaled down by Pillow into a
texture: the photo is never written plain to disk.

Where the photo comes from: plyer's camera on Android and iOS (the picture is taken into the app's
private folder, read, cleaned and kept encrypted, then that file is shredded); on a desktop, which
plyer gives no camera, Kivy's own file chooser in the app's window (``PhotoChooser``), so it works the
same under X, Wayland, Windows and Xvfb (plyer's desktop file chooser needs zenity or kdialog).
"""

from __future__ import annotations

import io
import logging
import os
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from kivy.clock import Clock
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView

from mobile.ui.i18n import tr
from mobile.ui.widgets import load_kv

load_kv(__file__)
log = logging.getLogger(__name__)

#: What the file chooser lists (upper case too: cameras write IMG_0001.JPG).
FILE_PATTERNS = [f"*.{ext}" for ext in ("jpg", "jpeg", "png", "webp", "JPG", "JPEG", "PNG", "WEBP")]
THUMB_PX = 320
_textures: OrderedDict[str, object] = OrderedDict()  # a few thumbnails, in memory only


def has_camera() -> bool:
    from kivy.utils import platform

    return platform in ("android", "ios")


def thumbnail_texture(sha256: str, data_of: Callable[[str], bytes]):
    """A small texture of the photo, from its bytes decrypted in memory (kept for the last 48)."""
    if sha256 in _textures:
        _textures.move_to_end(sha256)
        return _textures[sha256]
    from kivy.graphics.texture import Texture
    from PIL import Image

    with Image.open(io.BytesIO(data_of(sha256))) as image:
        small = image.convert("RGB")
        small.thumbnail((THUMB_PX, THUMB_PX))
    texture = Texture.create(size=small.size, colorfmt="rgb")
    texture.blit_buffer(small.tobytes(), colorfmt="rgb", bufferfmt="ubyte")
    texture.flip_vertical()
    _textures[sha256] = texture
    while len(_textures) > 48:
        _textures.popitem(last=False)
    return texture


def start_folder() -> str:
    """Where the desktop chooser opens: DOORSTEP_PHOTO_DIR, else ~/Pictures, else home."""
    for candidate in (os.environ.get("DOORSTEP_PHOTO_DIR"), str(Path.home() / "Pictures"), str(Path.home())):
        if candidate and Path(candidate).is_dir():
            return candidate
    return os.getcwd()


class PhotoChooser(ModalView):
    """A desktop's "choose a photo": Kivy's file chooser over the app (jpg, png, webp)."""

    selected = StringProperty("")
    last_folder: str | None = None

    def __init__(self, on_choose: Callable[[str], None], **kwargs) -> None:
        self.on_choose = on_choose
        super().__init__(**kwargs)
        self.ids.chooser.filters = FILE_PATTERNS
        self.ids.chooser.path = PhotoChooser.last_folder or start_folder()

    def selection_changed(self, selection: list[str]) -> None:
        self.selected = selection[0] if selection else ""

    def use(self, path: str | None = None) -> None:
        path = path or self.selected
        if not path or Path(path).is_dir():
            return
        PhotoChooser.last_folder = str(Path(path).parent)
        self.dismiss()
        self.on_choose(path)


def pick_photo(on_path: Callable[[str, bool], None]) -> PhotoChooser | None:
    """Take a photo (a camera) or choose one (a desktop); ``on_path(path, is_camera_file)`` on the UI
    thread once there is one. Returns the chooser when one opened (tests drive it)."""
    if has_camera():
        _take_picture(on_path)
        return None
    chooser = PhotoChooser(on_choose=lambda path: on_path(path, False))
    chooser.open()
    return chooser


def _take_picture(on_path: Callable[[str, bool], None]) -> None:
    """plyer's camera into the app's private folder. Not run here: no Android device on these machines."""
    from kivy.app import App
    from plyer import camera

    folder = Path(App.get_running_app().user_data_dir)
    target = folder / "capture.jpg"

    def done(path: str | None) -> bool:
        if path and Path(path).exists():
            Clock.schedule_once(lambda _dt: on_path(path, True), 0)
        return False

    try:
        camera.take_picture(filename=str(target), on_complete=done)
    except Exception:  # noqa: BLE001  (no camera, or permission refused: say so on the form)
        log.exception("the camera did not open")
        Clock.schedule_once(lambda _dt: on_path("", True), 0)


class PhotoThumb(BoxLayout):
    strip = ObjectProperty(None)
    sha256 = StringProperty("")
    stage = StringProperty("")
    caption = StringProperty("")
    texture = ObjectProperty(None, allownone=True)


class PhotoStrip(BoxLayout):
    """A form's photos for one target, with the buttons that add one. ``owner`` is a PhotoFields
    view-model; call ``show()`` when it changes."""

    owner = ObjectProperty(None)
    target = StringProperty("")
    stages = ListProperty([""])  # ["before", "after"] for a fix, [""] for a follow-up
    heading = StringProperty("")
    message = StringProperty("")
    is_error = BooleanProperty(False)
    has_photos = BooleanProperty(False)

    def __init__(self, **kwargs) -> None:
        self._shown: tuple = ()
        self.chooser: PhotoChooser | None = None
        super().__init__(**kwargs)
        self._build_buttons()
        self.show()
        tr.on_switch(self._relabel)

    def _relabel(self) -> None:
        """The interface language changed: the buttons' and captions' words."""
        if self.parent is None:  # a strip of a form already gone
            return
        self._build_buttons()
        self._shown = ()
        self.show()

    def _build_buttons(self) -> None:
        from mobile.ui.widgets import SecondaryButton

        box = self.ids.buttons
        box.clear_widgets()
        for stage in self.stages:
            words = (tr._("Photo before") if stage == "before" else tr._("Photo after") if stage == "after"
                     else tr._("Add a photo"))
            button = SecondaryButton(text=words, icon="camera")
            button.stage = stage
            button.bind(on_release=lambda b: self.pick(b.stage))
            box.add_widget(button)

    def button(self, stage: str = ""):
        return next(b for b in self.ids.buttons.children if b.stage == stage)

    def pick(self, stage: str) -> None:
        def chosen(path: str, from_camera: bool) -> None:
            if not path:
                self.message, self.is_error = tr._("The camera could not be opened."), True
                return
            self.owner.add_photo(self.target, path, stage or None, remove_file=from_camera)

        self.chooser = pick_photo(chosen)

    def show(self) -> None:
        owner = self.owner
        if owner is None:
            return
        items = owner.photos_of(self.target)
        shown = tuple((i["sha256"], i.get("stage") or "") for i in items)
        if shown != self._shown:
            box = self.ids.thumbs
            box.clear_widgets()
            for sha256, stage in shown:
                try:
                    texture = thumbnail_texture(sha256, owner.photo_bytes)
                except Exception:  # noqa: BLE001  (gone or damaged: say so in its place)
                    texture = None
                caption = (tr._("Not on this tablet") if texture is None else tr._("Before") if stage == "before"
                           else tr._("After") if stage == "after" else tr._("Photo"))
                box.add_widget(PhotoThumb(strip=self, sha256=sha256, stage=stage, caption=caption, texture=texture))
            self._shown = shown
        self.has_photos = bool(shown)
        if owner.adding_photo == self.target:
            self.message, self.is_error = tr._("Adding the photo…"), False
        elif owner.photo_error and getattr(owner, "photo_target", "") == self.target:
            self.message, self.is_error = tr._(owner.photo_error), True
        else:
            self.message, self.is_error = "", False

    def remove(self, thumb: PhotoThumb) -> None:
        self.owner.remove_photo(self.target, thumb.sha256, thumb.stage or None)

    def thumbs(self) -> list[PhotoThumb]:
        return list(reversed(self.ids.thumbs.children))
