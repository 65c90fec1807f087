// Copy buttons: <button data-copy="element-id"> copies that element's text or value.
(function () {
  "use strict";
  function announce(button, text) {
    var status = document.querySelector(".copy-status");
    if (status) { status.textContent = text; }
    var original = button.getAttribute("data-label") || button.firstChild.textContent;
    button.setAttribute("data-label", original);
    button.firstChild.textContent = "Copied";
    window.setTimeout(function () { button.firstChild.textContent = original; }, 2000);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) { return; }
    var text = source.value !== undefined ? source.value : source.textContent;
    var done = function () { announce(button, "Copied to the clipboard."); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallback(source, done); });
    } else {
      fallback(source, done);
    }
  });
  function fallback(source, done) {
    if (source.select) { source.select(); } else {
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected for Ctrl+C */ }
  }
}());
