// Save a claim draft as the person types (the form still works without this file).
(function () {
  "use strict";
  var form = document.getElementById("claim-form");
  if (!form || !window.fetch || !window.FormData) { return; }
  var status = document.getElementById("autosave-status");
  var url = form.getAttribute("data-autosave-url");
  var tokenField = form.querySelector("input[name=csrf_token]");
  var timer = null;

  function save() {
    var data = new FormData(form);
    data.delete("receipt");  // files go up only when the person presses Save
    fetch(url, {
      method: "POST", body: data, credentials: "same-origin",
      headers: {"X-CSRFToken": tokenField ? tokenField.value : "", "Accept": "application/json"}
    }).then(function (response) {
      if (response.redirected || response.status === 401) {
        status.textContent = "You have been signed out. Press Save and sign in again; we will keep what you typed.";
        return null;
      }
      return response.json();
    }).then(function (body) {
      if (!body) { return; }
      status.textContent = body.saved ? "Saved." : body.message;
    }).catch(function () {
      status.textContent = "Not saved yet. Check your connection, then press Save.";
    });
  }

  function later() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, 1200);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();
