// Callsign console: the only script besides htmx. Copy buttons: <button data-copy="element-id">.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) {
    return;
  }
  const source = document.getElementById(button.dataset.copy);
  if (!source) {
    return;
  }
  const text = source.tagName === "OL"
    ? Array.from(source.querySelectorAll("li")).map((li) => li.textContent.trim()).join("\n")
    : source.textContent.trim();
  navigator.clipboard.writeText(text).then(
    () => { button.dataset.label = button.dataset.label || button.textContent; button.textContent = "Copied"; },
    () => { button.textContent = "Select and copy"; });
});
// After an htmx swap, move focus to what arrived, so that keyboard and screen-reader users follow it.
document.addEventListener("htmx:afterSwap", (event) => {
  const focusable = event.detail.target.querySelector("input, button, code");
  if (focusable) {
    if (!focusable.hasAttribute("tabindex") && focusable.tagName === "CODE") {
      focusable.setAttribute("tabindex", "-1");
    }
    focusable.focus();
  }
});
