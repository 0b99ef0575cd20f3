/** Classic Remix compiler (see docs/decisions/001-classic-compiler.md). */
/** @type {import('@remix-run/dev').AppConfig} */
export default {
  appDirectory: 'app',
  assetsBuildDirectory: 'public/build',
  publicPath: '/build/',
  serverBuildPath: 'build/index.js',
  serverModuleFormat: 'esm',
  serverPlatform: 'node',
  ignoredRouteFiles: ['**/.*', '**/*.test.*', '**/*.server.test.*'],
  // Our own #aliases and react-dsfr (directory imports Node refuses) are bundled; PGlite must stay external.
  // react-markdown and its unified/remark/micromark/mdast/hast family are ESM-only: bundled too (decision 024).
  serverDependenciesToBundle: [
    /^#/,
    /^@codegouvfr\/react-dsfr/,
    /^tss-react/,
    /^react-markdown/,
    /^(unified|bail|is-plain-obj|trough|devlop|zwitch|ccount|longest-streak|trim-lines)(\/|$)/,
    /^(vfile|vfile-message|unist-util-.+|mdast-util-.+|hast-util-.+|micromark.*|remark-.+|estree-util-.+)(\/|$)/,
    /^(decode-named-character-reference|character-entities.*|property-information|space-separated-tokens|comma-separated-tokens|html-url-attributes|style-to-object|inline-style-parser)(\/|$)/,
  ],
  browserNodeBuiltinsPolyfill: { modules: { crypto: 'empty', path: 'empty', fs: 'empty' } },
  future: {
    v3_fetcherPersist: true,
    v3_relativeSplatPath: true,
    v3_throwAbortReason: true,
    v3_singleFetch: true,
    v3_lazyRouteDiscovery: true,
  },
}
