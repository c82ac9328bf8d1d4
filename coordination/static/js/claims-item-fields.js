// Show only the questions that matter for the kind of item chosen, so the form is short on a phone.
// Without this file every question shows and the server still checks what each kind needs.
(function () {
  "use strict";
  var kind = document.getElementById("kind");
  if (!kind) { return; }
  var groups = document.querySelectorAll("[data-claim-kinds]");

  function hasTypedValue(group) {
    var fields = group.querySelectorAll("input:not([type=file]), textarea");
    for (var i = 0; i < fields.length; i++) { if (fields[i].value) { return true; } }
    return false;
  }

  function update() {
    var chosen = kind.value;
    for (var i = 0; i < groups.length; i++) {
      var kinds = groups[i].getAttribute("data-claim-kinds").split(" ");
      // Never hide a question that already has an answer or an error: nothing typed is hidden away.
      var keep = kinds.indexOf(chosen) !== -1 || hasTypedValue(groups[i]) ||
        groups[i].querySelector(".govuk-form-group--error") !== null;
      groups[i].hidden = !keep;
    }
  }

  kind.addEventListener("change", update);
  update();
})();
