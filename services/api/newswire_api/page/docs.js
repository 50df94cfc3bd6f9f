// The interactive docs: Swagger UI from the installed package, started here rather than by an
// inline script (the Content-Security-Policy allows none). When the API needs a key, the one
// the search page keeps for this tab is sent with every request, the spec's included.
"use strict";

const KEY_STORAGE = "newswire-api-key";

window.addEventListener("load", () => {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    requestInterceptor: (request) => {
      const key = sessionStorage.getItem(KEY_STORAGE);
      if (key && !request.headers.Authorization) request.headers.Authorization = `Bearer ${key}`;
      return request;
    },
  });
});
