// The case page's keyboard shortcuts: pressing the key a decision button
// shows (its data-key) clicks it, one keystroke from reading to a recorded
// decision. Keys typed into a field, or held with a modifier, are the
// field's and the browser's, never a decision.
(function () {
  "use strict";
  var submitted = false;
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) {
      return;
    }
    var target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) {
      return;
    }
    if (submitted) {
      return; // one decision per page: the next page shows the new status
    }
    var buttons = document.querySelectorAll("#decision button[data-key]");
    for (var i = 0; i < buttons.length; i++) {
      if (buttons[i].dataset.key === event.key) {
        event.preventDefault();
        submitted = true;
        // The button as the submitter: its name and value are posted.
        buttons[i].form.requestSubmit(buttons[i]);
        return;
      }
    }
  });
})();
