/* ecm_ops: live status of an AI draft (queued / running / done / failed), with cancel.
 *
 * Registered as the Stimulus controller "ecm-draft-status" through window.wagtail.app.register
 * (the Wagtail way); without Stimulus it binds the same behaviour to [data-ecm-draft-status].
 * Polls the JSON status endpoint (1 s, backing off to 5 s) until the draft is finished.
 */
(function () {
  "use strict";
  const TERMINAL = ["succeeded", "failed", "cancelled"];

  function bind(root) {
    let delay = 1000;
    let timer = null;
    let stopped = false;
    const q = (sel) => root.querySelector(sel);

    function render(data) {
      root.dataset.status = data.status;
      const label = q("[data-ecm-status]");
      label.textContent = data.label;
      label.className = "w-status ecm-status ecm-status--" + data.status;
      q("[data-ecm-spinner]").hidden = !data.open;
      const err = q("[data-ecm-error]");
      if (data.error && data.status !== "cancelled") {
        q("[data-ecm-error-text]").textContent = data.error;
        err.hidden = false;
      } else {
        err.hidden = true;
      }
      const done = data.status === "succeeded";
      q("[data-ecm-open]").hidden = !done;
      q("[data-ecm-back]").hidden = done;
      const cancel = q("[data-ecm-cancel-form]");
      if (cancel && !data.open) cancel.hidden = true;
    }

    async function poll() {
      if (stopped) return;
      try {
        const res = await fetch(root.dataset.statusUrl, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (res.ok) {
          const data = await res.json();
          render(data);
          if (TERMINAL.includes(data.status)) return;
        }
      } catch (e) {
        /* a network blip: keep polling */
      }
      delay = Math.min(delay * 1.5, 5000);
      timer = setTimeout(poll, delay);
    }

    const cancelForm = q("[data-ecm-cancel-form]");
    if (cancelForm) {
      cancelForm.addEventListener("submit", async (event) => {
        event.preventDefault();
        const res = await fetch(root.dataset.cancelUrl, {
          method: "POST",
          body: new FormData(cancelForm),
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        const data = await res.json();
        if (res.ok) render(data);
        else if (data.error) {
          q("[data-ecm-error-text]").textContent = data.error;
          q("[data-ecm-error]").hidden = false;
        }
      });
    }
    if (!TERMINAL.includes(root.dataset.status)) timer = setTimeout(poll, delay);
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }

  const app = window.wagtail && window.wagtail.app;
  const Stimulus = window.StimulusModule;
  if (app && Stimulus && Stimulus.Controller) {
    class DraftStatusController extends Stimulus.Controller {
      connect() {
        this.unbind = bind(this.element);
      }
      disconnect() {
        if (this.unbind) this.unbind();
      }
    }
    app.register("ecm-draft-status", DraftStatusController);
  } else {
    document.querySelectorAll("[data-ecm-draft-status]").forEach(bind);
  }
})();
