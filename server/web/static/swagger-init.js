// Starts Swagger UI on /schema/swagger (server/lib/openapi.py LocalSwaggerUI): from a file, because
// the page's CSP runs no inline script. "Authorize" with a bearer token from POST /api/v1/auth/token.
(function () {
  "use strict";
  var box = document.getElementById("swagger-container");
  window.ui = SwaggerUIBundle({
    url: box.dataset.specUrl,
    dom_id: "#swagger-container",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "BaseLayout",
    validatorUrl: null  // the default asks validator.swagger.io for a badge: nothing leaves this site
  });
})();
