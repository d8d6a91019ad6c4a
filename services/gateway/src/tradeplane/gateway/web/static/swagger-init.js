/* Swagger UI for /api/docs, started from a file (the gateway's CSP runs no inline script). */
(function () {
  "use strict";
  var el = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: el.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIBundle.SwaggerUIStandalonePreset]
  });
})();
