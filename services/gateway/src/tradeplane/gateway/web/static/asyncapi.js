// Renders the platform's AsyncAPI document (/api/events) with the vendored @asyncapi/react-component.
(function () {
  "use strict";
  var root = document.getElementById("asyncapi");
  if (!root || typeof AsyncApiStandalone === "undefined") {
    return;
  }
  fetch(root.getAttribute("data-document"), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    })
    .then(function (document) {
      AsyncApiStandalone.render(
        { schema: document, config: { show: { sidebar: true, errors: true } } },
        root
      );
    })
    .catch(function (error) {
      root.textContent = "Could not load the event catalogue: " + error.message;
    });
})();
