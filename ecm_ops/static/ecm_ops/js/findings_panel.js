// ecm_ops pre-screen findings in the page editor.
// Shows the panel HTML from the findings endpoint above the editor form, polls every second
// while a screening is queued or running (else every 20 s), and soon after each autosave
// (Wagtail dispatches "w-autosave:success"), so findings refresh without a reload.
(function () {
  const script = document.currentScript;
  const match = window.location.pathname.match(/\/pages\/(\d+)\/edit\//);
  if (!script || !match) return;
  const url = script.dataset.ecmFindingsUrl.replace("/0/", "/" + match[1] + "/");
  let timer = null;
  let lastHtml = null;

  function box() {
    let el = document.getElementById("ecm-findings-box");
    if (el) return el;
    const form =
      document.querySelector("form[data-edit-form]") ||
      document.getElementById("page-edit-form");
    if (!form) return null;
    el = document.createElement("div");
    el.id = "ecm-findings-box";
    el.setAttribute("aria-live", "polite");
    form.parentNode.insertBefore(el, form);
    return el;
  }

  function schedule(ms) {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, ms);
  }

  async function refresh() {
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) return;
      const data = await response.json();
      const el = box();
      if (el && data.html !== lastHtml) {
        el.innerHTML = data.html;
        lastHtml = data.html;
      }
      schedule(data.pending ? 1000 : 20000);
    } catch (err) {
      schedule(20000);
    }
  }

  document.addEventListener("w-autosave:success", () => schedule(500));
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", refresh);
  } else {
    refresh();
  }
})();
