"""The map widget: streets and doors drawn on a Kivy canvas from the pack's geometry.

No tiles, no network. One finger pans, two fingers pinch-zoom, the mouse wheel
zooms on a desktop, a tap on a door dispatches ``on_door``. The arithmetic is in
``mobile.viewmodels.map.MapViewModel``; this widget only draws and forwards touches.
"""

from __future__ import annotations

import math

from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.graphics import Color, Ellipse, Line, Point, Rectangle
from kivy.metrics import dp, sp
from kivy.properties import ObjectProperty
from kivy.uix.stencilview import StencilView

from mobile.ui import theme
from mobile.viewmodels.map import MapViewModel, place_labels

TAP_SLOP_DP = 10


class StreetMap(StencilView):
    model = ObjectProperty(None, allownone=True)

    __events__ = ("on_door",)

    def __init__(self, **kwargs):
        self.placed: list = []  # the labels drawn last: (key, x, y, w, h), none overlapping
        self._touches: dict[int, tuple[float, float]] = {}
        self._moved = False
        self._unsubscribe = None
        self._trigger = Clock.create_trigger(self._redraw, -1)
        super().__init__(**kwargs)
        self.bind(pos=self._on_geometry, size=self._on_geometry)

    # -- model binding ------------------------------------------------------------
    def on_model(self, _widget, model: MapViewModel | None) -> None:
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None
        if model is not None:
            self._unsubscribe = model.subscribe(lambda *_: self._trigger())
            model.resize(self.width, self.height)
        self._trigger()

    def _on_geometry(self, *_):
        if self.model is not None:
            self.model.resize(self.width, self.height)
        self._trigger()

    def on_door(self, door):
        pass

    # -- drawing --------------------------------------------------------------------
    def _redraw(self, *_):
        self.canvas.clear()
        m = self.model
        ox, oy = self.x, self.y
        with self.canvas:
            Color(*theme.c.SURFACE)
            Rectangle(pos=self.pos, size=self.size)
            if m is None:
                return
            Color(*theme.hex_rgba("#7C8694"))
            width = max(dp(2), min(dp(5), dp(2) * math.sqrt(m.zoom_level)))
            for street_id, flat in m.screen_lines():
                if len(flat) < 4:
                    continue
                pts = [v + (ox if i % 2 == 0 else oy) for i, v in enumerate(flat)]
                if street_id == m.selected_street_id:
                    Color(*theme.c.PRIMARY)
                    Line(points=pts, width=width * 2, cap="round", joint="round")
                    Color(*theme.hex_rgba("#7C8694"))
                else:
                    Line(points=pts, width=width, cap="round", joint="round")
            size = max(dp(5), min(dp(10), dp(5) * math.sqrt(m.zoom_level)))
            for status, flat in m.screen_doors().items():
                colour = theme.STATUS_COLOURS.get(status, theme.STATUS_COLOURS["not_knocked"])
                Color(*theme.hex_rgba(colour))
                pts = [v + (ox if i % 2 == 0 else oy) for i, v in enumerate(flat)]
                if status == "other_pair":
                    # another pair's doors: small hollow rings, not our filled dots
                    for i in range(0, len(pts), 2):
                        Line(circle=(pts[i], pts[i + 1], size * 0.8), width=dp(1.2))
                    continue
                # Point caps its vertex count per instruction; draw in chunks
                for start in range(0, len(pts), 2000):
                    Point(points=pts[start:start + 2000], pointsize=size)
            self._draw_labels(m, ox, oy)
            pos = m.screen_position()
            if pos is not None:
                px, py = pos[0] + ox, pos[1] + oy
                acc = m.position.accuracy_m
                if acc:
                    r = max(dp(8), acc * m.scale)
                    Color(*theme.hex_rgba(theme.PRIMARY, 0.18))
                    Ellipse(pos=(px - r, py - r), size=(2 * r, 2 * r))
                Color(*theme.c.SURFACE)
                Ellipse(pos=(px - dp(11), py - dp(11)), size=(dp(22), dp(22)))
                Color(*theme.c.PRIMARY)
                Ellipse(pos=(px - dp(8), py - dp(8)), size=(dp(16), dp(16)))

    def _draw_labels(self, m: MapViewModel, ox: float, oy: float) -> None:
        """Street names, then (zoomed in) door numbers, placed so that no label overlaps another."""
        longest: dict = {}
        for street_id, flat in m.screen_lines():
            length = sum(math.hypot(flat[i + 2] - flat[i], flat[i + 3] - flat[i + 1])
                         for i in range(0, len(flat) - 2, 2))
            if length > longest.get(street_id, (0, None))[0]:
                longest[street_id] = (length, flat)
        candidates, textures = [], {}
        for street_id, (length, flat) in sorted(longest.items(), key=lambda kv: -kv[1][0]):
            texture = self._name_texture(street_id, m)
            if texture is None or length < texture.width * 0.6:
                continue
            mid = (len(flat) // 4) * 2
            key = ("street", street_id)
            textures[key] = texture
            candidates.append((key, flat[mid] - texture.width / 2, flat[mid + 1] + dp(6), *texture.size))
        for door, x, y in m.screen_door_numbers():
            texture = self._text_texture(door.number)
            key = ("door", door.id)
            textures[key] = texture
            candidates.append((key, x + dp(7), y - texture.height / 2, *texture.size))
        self.placed = place_labels(candidates, self.width, self.height)
        for key, x, y, w, h in self.placed:
            Color(*theme.c.SURFACE[:3], 0.85)
            Rectangle(pos=(ox + x - dp(2), oy + y), size=(w + dp(4), h))
            Color(1, 1, 1, 1)
            Rectangle(texture=textures[key], pos=(ox + x, oy + y), size=(w, h))

    def _text_texture(self, text: str):
        cache = self.__dict__.setdefault("_texts", {})
        if text not in cache:
            label = CoreLabel(text=text, font_size=sp(theme.SMALL_SP), color=theme.c.TEXT, bold=True)
            label.refresh()
            cache[text] = label.texture
        return cache[text]

    def _name_texture(self, street_id, m: MapViewModel):
        cache = self.__dict__.setdefault("_names", {})
        if street_id not in cache:
            name = m.street_name(street_id)
            if not name:
                cache[street_id] = None
            else:
                label = CoreLabel(text=name, font_size=sp(theme.SMALL_SP), color=theme.c.TEXT, bold=True)
                label.refresh()
                cache[street_id] = label.texture
        return cache[street_id]

    # -- touches ----------------------------------------------------------------------
    def on_touch_down(self, touch):
        if not self.collide_point(*touch.pos):
            return False
        if self.model is None:
            return True
        if getattr(touch, "is_mouse_scrolling", False):
            factor = 1.2 if touch.button in ("scrolldown", "scrollleft") else 1 / 1.2
            self.model.zoom(factor, touch.x - self.x, touch.y - self.y)
            return True
        touch.grab(self)
        self._touches[touch.uid] = (touch.x, touch.y)
        self._moved = len(self._touches) > 1
        return True

    def on_touch_move(self, touch):
        if touch.grab_current is not self or touch.uid not in self._touches or self.model is None:
            return False
        px, py = self._touches[touch.uid]
        if len(self._touches) == 1:
            if abs(touch.x - px) + abs(touch.y - py) > dp(TAP_SLOP_DP) or self._moved:
                self._moved = True
                self.model.pan(touch.x - px, touch.y - py)
                self._touches[touch.uid] = (touch.x, touch.y)
        else:
            other_uid = next(u for u in self._touches if u != touch.uid)
            ox, oy = self._touches[other_uid]
            before = math.hypot(px - ox, py - oy)
            after = math.hypot(touch.x - ox, touch.y - oy)
            if before > 0 and after > 0:
                self.model.zoom(after / before, (ox + touch.x) / 2 - self.x, (oy + touch.y) / 2 - self.y)
            self._touches[touch.uid] = (touch.x, touch.y)
            self._moved = True
        return True

    def on_touch_up(self, touch):
        if touch.grab_current is not self:
            return False
        touch.ungrab(self)
        was_tap = not self._moved and len(self._touches) == 1
        self._touches.pop(touch.uid, None)
        if not self._touches:
            self._moved = False
        if was_tap and self.model is not None:
            door = self.model.door_at(touch.x - self.x, touch.y - self.y, dp(24))
            if door is not None:
                self.dispatch("on_door", door)
        return True
