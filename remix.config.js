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
  serverDependenciesToBundle: [/^#/, /^@codegouvfr\/react-dsfr/, /^tss-react/],
  browserNodeBuiltinsPolyfill: { modules: { crypto: 'empty', path: 'empty', fs: 'empty' } },
  future: {
    v3_fetcherPersist: true,
    v3_relativeSplatPath: true,
    v3_throwAbortReason: true,
    v3_singleFetch: true,
    v3_lazyRouteDiscovery: true,
  },
}
