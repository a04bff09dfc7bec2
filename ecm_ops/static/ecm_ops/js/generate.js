/* ecm_ops: "Generate draft with AI" on the brief screen and in the page editor.
 *
 * Brief screen: shows the chosen template's variables and an off-label warning.
 * Page editor (edit and create views): a click on a [data-ecm-generate] link while the form has
 * unsaved changes opens a dialog instead of leaving silently:
 *   - "Save draft, then generate": saves the page as a draft (Wagtail's own save), then opens the
 *     generate screen once the editor reloads without validation errors;
 *   - "Discard changes and generate": leaves without saving;
 *   - "Keep editing": closes the dialog.
 * Unsaved state comes from Wagtail's own "w-unsaved" controller (the same one that warns before
 * leaving the page).
 */
(function () {
  "use strict";
  const FLAG = "ecm-ops:generate-after-save";

  function briefForm(form) {
    const offLabel = (form.dataset.offLabel || "").split(" ").filter(Boolean);
    const select = form.querySelector("select[name=template]");
    const warning = form.querySelector("[data-ecm-off-label-warning]");
    if (!select) return;
    const update = () => {
      warning.hidden = !offLabel.includes(select.value);
      form.querySelectorAll("[data-ecm-variables-for]").forEach((fs) => {
        const on = fs.dataset.ecmVariablesFor === select.value;
        fs.hidden = !on;
        fs.disabled = !on;
      });
    };
    select.addEventListener("change", update);
    update();
  }

  function editorForm() {
    return document.getElementById("page-edit-form");
  }

  function unsavedController(form) {
    const app = window.wagtail && window.wagtail.app;
    if (!app || !app.getControllerForElementAndIdentifier) return null;
    return app.getControllerForElementAndIdentifier(form, "w-unsaved");
  }

  // Wagtail's controller takes its first snapshot 2 s after load; before that, any real
  // (trusted) input by the editor counts as an unsaved change.
  let userEdited = false;

  function hasUnsavedChanges(form) {
    const ctrl = unsavedController(form);
    if (ctrl && !ctrl.initialFormData) {
      return form.dataset.wUnsavedForceValue === "true" || userEdited;
    }
    if (ctrl) {
      if (typeof ctrl.hasChanges === "function") ctrl.hasChanges();
      return Boolean(ctrl.hasEditsValue || ctrl.hasCommentsValue);
    }
    return form.dataset.wUnsavedHasEditsValue === "true";
  }

  function leaveWithoutWarning(form) {
    const ctrl = unsavedController(form);
    if (ctrl) ctrl.confirmationValue = false;
    form.setAttribute("data-w-unsaved-confirmation-value", "false");
  }

  function askDialog(onSave, onDiscard) {
    const dialog = document.createElement("dialog");
    dialog.className = "ecm-unsaved-dialog";
    dialog.setAttribute("aria-labelledby", "ecm-unsaved-title");
    dialog.innerHTML =
      '<h2 id="ecm-unsaved-title">You have unsaved changes</h2>' +
      "<p>The AI draft is written as a new revision from the last saved version of this page. " +
      "Your unsaved changes would not be in it.</p>" +
      '<div class="ecm-actions">' +
      '<button type="button" class="button" data-ecm-choice="save">Save draft, then generate</button>' +
      '<button type="button" class="button button-secondary no" data-ecm-choice="discard">Discard changes and generate</button>' +
      '<button type="button" class="button button-secondary" data-ecm-choice="cancel">Keep editing</button>' +
      "</div>";
    document.body.appendChild(dialog);
    dialog.addEventListener("click", (event) => {
      const choice = event.target.closest("[data-ecm-choice]");
      if (!choice) return;
      dialog.close();
      dialog.remove();
      if (choice.dataset.ecmChoice === "save") onSave();
      if (choice.dataset.ecmChoice === "discard") onDiscard();
    });
    dialog.addEventListener("close", () => dialog.remove());
    dialog.showModal();
  }

  function editor() {
    const form = editorForm();
    if (!form) return;
    // Continue a "save first" choice once the save went through (no validation errors).
    if (sessionStorage.getItem(FLAG)) {
      sessionStorage.removeItem(FLAG);
      const failed = form.dataset.wUnsavedForceValue === "true";
      const link = document.querySelector("a[data-ecm-generate]");
      if (!failed && link) {
        window.location.assign(link.href);
        return;
      }
    }
    const edited = (event) => {
      if (event.isTrusted) userEdited = true;
    };
    form.addEventListener("input", edited, true);
    form.addEventListener("change", edited, true);
    document.addEventListener("click", (event) => {
      const link = event.target.closest("a[data-ecm-generate]");
      if (!link || !hasUnsavedChanges(form)) return;
      event.preventDefault();
      event.stopPropagation();
      askDialog(
        () => {
          sessionStorage.setItem(FLAG, "1");
          leaveWithoutWarning(form);
          form.requestSubmit();
        },
        () => {
          leaveWithoutWarning(form);
          window.location.assign(link.href);
        },
      );
    }, true);
  }

  function init() {
    document.querySelectorAll("form[data-ecm-brief-form]").forEach(briefForm);
    editor();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
