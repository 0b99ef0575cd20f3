/// <reference types="@remix-run/dev" />
/// <reference types="@remix-run/node" />

// Single fetch types for loader data (the flag is on in remix.config.js).
declare module '@remix-run/server-runtime' {
  interface Future {
    v3_singleFetch: true
  }
}
export {}
