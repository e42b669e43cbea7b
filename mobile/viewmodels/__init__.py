"""View-models of the tablet app: plain Python, no widgets; tests drive them without a window.

Each screen in mobile/ui binds to one of these and only copies their state into
Kivy properties; all behaviour (what a tap does, what is shown, what is saved)
lives here.
"""
