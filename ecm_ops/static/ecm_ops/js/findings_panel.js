// ecm_ops pre-screen findings as a Wagtail side panel in the page editor.
//
// Wagtail renders its side panels (Status, Preview, Checks, Comments) on the server and wires
// every `[data-side-panel-toggle]` / `[data-side-panel]` pair on DOMContentLoaded. The edit
// view has no hook for extra panels, so this deferred script (it runs after parsing, before
// DOMContentLoaded) adds one more pair with Wagtail's own markup and classes; Wagtail's code
// then opens, closes and resizes it like its own. Its content comes from the findings
// endpoint: polled every second while a screening is queued or running (else every 20 s) and
// soon after each autosave, with the last answer's ETag, so an unchanged state costs a 304.
(function () {
  const script = document.currentScript;
  const match = window.location.pathname.match(/\/pages\/(\d+)\/edit\//);
  if (!script || !match) return;
  const url = script.dataset.ecmFindingsUrl.replace("/0/", "/" + match[1] + "/");
  const NAME = "ecm-findings";
  const TITLE = script.dataset.ecmTitle || "Pre-screen findings";
  let timer = null;
  let lastHtml = null;
  let lastEtag = null;
  let lastData = null;

  function icon(name, classname) {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", "icon icon-" + name + " " + (classname || ""));
    svg.setAttribute("aria-hidden", "true");
    const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
    use.setAttribute("href", "#icon-" + name);
    svg.appendChild(use);
    return svg;
  }

  // The toggle beside Wagtail's own (after "Checks" when it is there) and the panel in the
  // side-panel container. Without Wagtail's container (an unexpected layout) the panel goes
  // above the form, as before.
  function buildPanel() {
    const side = document.querySelector("[data-form-side]");
    const toggles = document.querySelectorAll("[data-side-panel-toggle]");
    if (!side || !toggles.length) return fallbackBox();
    const toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "w-side-panel-toggle";
    toggle.setAttribute("aria-label", "Toggle " + TITLE.toLowerCase());
    toggle.setAttribute("aria-expanded", "false");
    toggle.dataset.sidePanelToggle = NAME;
    toggle.dataset.controller = "w-tooltip";
    toggle.dataset.wTooltipContentValue = TITLE;
    toggle.dataset.wTooltipOffsetValue = "[0, 0]";
    toggle.appendChild(icon("clipboard-list", "w-side-panel-toggle__icon"));
    const counter = document.createElement("div");
    counter.dataset.sidePanelToggleCounter = "";
    counter.dataset.ecmFindingsCounter = "";
    counter.className = "w-side-panel-toggle__counter w-bg-critical-200";
    counter.hidden = true;
    toggle.appendChild(counter);
    const checks = document.querySelector('[data-side-panel-toggle="checks"]');
    const after = checks || toggles[toggles.length - 1];
    after.parentNode.insertBefore(toggle, after.nextSibling);

    const panel = document.createElement("div");
    panel.className = "form-side__panel";
    panel.dataset.sidePanel = NAME;
    panel.hidden = true;
    const title = document.createElement("h2");
    title.id = "side-panel-" + NAME + "-title";
    title.className = "w-sr-only";
    title.textContent = TITLE;
    const body = document.createElement("div");
    body.className = "ecm-side-panel";
    body.setAttribute("aria-live", "polite");
    panel.append(title, body);
    side.appendChild(panel);
    return body;
  }

  function fallbackBox() {
    const form =
      document.querySelector("form[data-edit-form]") ||
      document.getElementById("page-edit-form");
    if (!form) return null;
    const el = document.createElement("div");
    el.className = "ecm-side-panel ecm-side-panel--inline";
    el.setAttribute("aria-live", "polite");
    form.parentNode.insertBefore(el, form);
    return el;
  }

  const body = buildPanel();
  if (!body) return;

  function updateCounter(data) {
    const counter = document.querySelector("[data-ecm-findings-counter]");
    if (!counter) return;
    const run = data.run;
    const n = run ? (run.blockers || 0) + (run.warnings || 0) : 0;
    counter.hidden = !n;
    counter.textContent = n;
    counter.classList.toggle("w-bg-critical-200", !!(run && run.blockers));
    counter.classList.toggle("w-bg-warning-100", !!(run && !run.blockers && run.warnings));
  }

  // --- click a finding: show its text in its field ------------------------------------
  function flash(el) {
    el.classList.remove("ecm-flash");
    void el.offsetWidth; // restart the animation
    el.classList.add("ecm-flash");
  }

  function selectInEditable(root, text) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const at = node.data.indexOf(text);
      if (at >= 0) {
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + text.length);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        const rect = range.getBoundingClientRect();
        window.scrollBy({ top: rect.top - window.innerHeight / 3, behavior: "smooth" });
        return true;
      }
    }
    return false;
  }

  function highlight(field, excerpt) {
    const form = document.querySelector("form[data-edit-form]") || document;
    const inputs = Array.from(
      form.querySelectorAll(field ? '[name="' + CSS.escape(field) + '"]' : "input, textarea")
    );
    for (const input of inputs) {
      const wrapper =
        input.closest("[data-field-wrapper]") || input.closest(".w-field") || input.parentNode;
      if ((input.tagName === "TEXTAREA" || input.type === "text") && input.value) {
        const at = input.value.indexOf(excerpt);
        if (at >= 0) {
          input.scrollIntoView({ block: "center", behavior: "smooth" });
          input.focus({ preventScroll: true });
          input.setSelectionRange(at, at + excerpt.length);
          flash(wrapper);
          return true;
        }
      }
      const editable = wrapper && wrapper.querySelector("[contenteditable=true]");
      if (editable && selectInEditable(editable, excerpt)) {
        editable.focus({ preventScroll: true });
        flash(wrapper);
        return true;
      }
      if (wrapper && input.type !== "hidden") {
        wrapper.scrollIntoView({ block: "center", behavior: "smooth" });
        flash(wrapper);
        return true;
      }
    }
    // Rich text or a block whose field name differs: look in every editable area.
    for (const editable of form.querySelectorAll("[contenteditable=true]")) {
      if (selectInEditable(editable, excerpt)) {
        flash(editable.closest("[data-field-wrapper]") || editable);
        return true;
      }
    }
    return false;
  }

  body.addEventListener("click", (event) => {
    const button = event.target.closest("[data-ecm-highlight]");
    if (!button) return;
    const found = highlight(button.dataset.field, button.dataset.excerpt);
    button.classList.toggle("ecm-findings__excerpt--missing", !found);
    if (!found) button.title = "This text is no longer in the page (it changed since the screening).";
  });

  // --- live refresh -------------------------------------------------------------------
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
      if (data.html !== lastHtml) {
        // Keep the groups the editor opened or closed as they were.
        const open = {};
        body.querySelectorAll("[data-ecm-finding-group] > details").forEach((d) => {
          open[d.parentNode.dataset.ecmFindingGroup] = d.open;
        });
        body.innerHTML = data.html;
        body.querySelectorAll("[data-ecm-finding-group] > details").forEach((d) => {
          const key = d.parentNode.dataset.ecmFindingGroup;
          if (key in open) d.open = open[key];
        });
        lastHtml = data.html;
        updateCounter(data);
      }
      schedule(data.pending ? 1000 : 20000);
    } catch (err) {
      schedule(20000);
    }
  }

  document.addEventListener("w-autosave:success", () => schedule(500));
  refresh();
})();
