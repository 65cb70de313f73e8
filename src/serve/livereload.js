// dossier serve: live reload. Injected into pages by `dossier serve` only;
// never part of a built site. Listens on the server's event stream:
//   reload → reload the page        css → re-fetch the stylesheets
//   error  → show the build errors  ok  → hide them
(() => {
  "use strict";
  const OVERLAY_ID = "dossier-build-error";
  let lostConnection = false;

  function hideOverlay() {
    const overlay = document.getElementById(OVERLAY_ID);
    if (overlay) overlay.remove();
  }

  function showOverlay(text) {
    hideOverlay();
    const overlay = document.createElement("div");
    overlay.id = OVERLAY_ID;
    overlay.setAttribute("role", "alert");
    overlay.style.cssText =
      "position:fixed;inset:0;z-index:2147483647;overflow:auto;margin:0;" +
      "padding:2rem;background:rgba(20,20,20,.94);color:#f4f4f4;" +
      "font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;";
    const heading = document.createElement("p");
    heading.style.cssText = "margin:0 0 1rem;font-weight:bold;color:#ff8a80;";
    heading.textContent =
      "Build failed: still showing the last good site. Fix the file and save.";
    const details = document.createElement("pre");
    details.className = "dossier-build-error-text";
    details.style.cssText = "margin:0;white-space:pre-wrap;";
    details.textContent = text;
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = "Hide";
    close.style.cssText = "position:absolute;top:1rem;right:1rem;";
    close.addEventListener("click", hideOverlay);
    overlay.append(heading, details, close);
    document.body.append(overlay);
  }

  function swapStylesheets() {
    for (const link of document.querySelectorAll('link[rel~="stylesheet"][href]')) {
      const url = new URL(link.href, location.href);
      if (url.origin !== location.origin) continue;
      url.searchParams.set("dossier-reload", Date.now().toString());
      link.href = url.toString();
    }
  }

  const events = new EventSource("/__dossier/events");
  events.addEventListener("reload", () => location.reload());
  events.addEventListener("css", swapStylesheets);
  events.addEventListener("ok", hideOverlay);
  events.addEventListener("error", (event) => {
    // The stream's own "error" (a lost connection) carries no data; the
    // server's "error" event carries the build's errors.
    if (typeof event.data === "string") {
      showOverlay(event.data);
    } else {
      lostConnection = true;
    }
  });
  // Back after a lost connection (serve restarted?): the site may have
  // changed meanwhile, so reload. EventSource reconnects by itself.
  events.addEventListener("open", () => {
    if (lostConnection) location.reload();
    // Says the page is listening (the end-to-end tests wait for it).
    document.documentElement.dataset.dossierLiveReload = "connected";
  });
})();
