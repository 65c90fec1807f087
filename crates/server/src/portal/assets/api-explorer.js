// The API tab: Swagger UI on this server's OpenAPI document, and one click that
// authorizes it with the logged-in person's short-lived user token.
(function () {
  "use strict";
  var ui = window.SwaggerUIBundle({
    url: "/v2/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    docExpansion: "list",
    tryItOutEnabled: false,
    persistAuthorization: false,
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
  window.onePortalApiExplorer = ui;

  var button = document.getElementById("authorize-me");
  var status = document.getElementById("authorize-status");
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");

  button.addEventListener("click", function () {
    button.disabled = true;
    status.textContent = "Authorizing…";
    fetch("/portal/developer/api/token", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" }
    }).then(function (response) {
      if (response.status === 401 || response.redirected) {
        throw new Error("Your session has ended. Reload the page and log in again.");
      }
      if (response.status === 403) {
        throw new Error("The token was refused: reload the page (your form token may be out of date) and try again.");
      }
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok || !body.accessToken) { throw new Error(body.detail || "The token could not be issued; reload the page and try again."); }
        return body;
      });
    }).then(function (body) {
      ui.preauthorizeApiKey("userToken", body.accessToken);
      var until = new Date(Date.now() + body.expiresIn * 1000);
      status.textContent = "Authorized as you until " + until.toLocaleTimeString() + ". Click again for a fresh token.";
      button.textContent = "Authorized ✓ (renew)";
    }).catch(function (error) {
      status.textContent = error.message;
    }).finally(function () {
      button.disabled = false;
    });
  });
}());
