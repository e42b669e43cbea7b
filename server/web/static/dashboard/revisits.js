// The revisit list's Print button (no inline handlers: the page's CSP runs scripts from files only).
document.getElementById("print").addEventListener("click", function () { window.print(); });
