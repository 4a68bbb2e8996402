// The consultation form saves a draft by itself as people answer (the "save draft"
// button does the same without JavaScript). A submitted response is never autosaved.
const form = document.querySelector("form[data-autosave]");
const status = form && form.querySelector("[data-autosave-status]");
const draftButton = form && form.querySelector('button[value="draft"]');
if (form && status && draftButton) {
  let timer = 0;
  const save = async () => {
    const body = new FormData(form);
    body.set("action", "draft");
    try {
      const r = await fetch(form.action, { method: "POST", body, headers: { Accept: "application/json" }, credentials: "same-origin" });
      status.textContent = r.ok ? (status.dataset.saved || "✓") : (status.dataset.failed || "");
    } catch {
      status.textContent = status.dataset.failed || "";
    }
  };
  form.addEventListener("change", () => { clearTimeout(timer); timer = setTimeout(save, 1500); });
}
document.querySelectorAll("[data-print]").forEach((b) => {
  b.hidden = false;
  b.addEventListener("click", () => window.print());
});
