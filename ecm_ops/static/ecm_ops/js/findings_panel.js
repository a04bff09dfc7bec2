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
  let lastEtag = null;
  let lastData = null;

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
      // Ask with the ETag of the last answer: an unchanged state comes back as a cheap 304
      // with no body, and the last answer still holds. (Kept here rather than in the browser's
      // cache: admin answers are marked no-store.)
      const headers = { Accept: "application/json" };
      if (lastEtag && lastData) headers["If-None-Match"] = lastEtag;
      const response = await fetch(url, {
        headers: headers,
        credentials: "same-origin",
        cache: "no-store",
      });
      let data;
      if (response.status === 304 && lastData) {
        data = lastData;
      } else if (response.ok) {
        data = await response.json();
        lastData = data;
        lastEtag = response.headers.get("ETag");
      } else {
        return;
      }
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
