'use strict';
// Preloaded (node --require) in a line workspace such as .lines/otel3/: a module that resolves
// into the repository's root node_modules (the 2.x line) is refused as not found. Node looks for
// packages in every parent folder, so without this a package missing from the line's own tree
// would silently load from the root tree. Needs module.registerHooks (Node >= 22.15), which sees
// both require() and import.
const { registerHooks } = require('node:module');
const { pathToFileURL } = require('node:url');

const forbidden = process.env.MOTADATA_LINE_FORBID;
if (forbidden) {
  if (typeof registerHooks !== 'function') {
    throw new Error(`scripts/line-guard.js needs module.registerHooks (Node >= 22.15), not ${process.version}`);
  }
  const prefix = pathToFileURL(forbidden).href.replace(/\/?$/, '/');
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const result = nextResolve(specifier, context);
      if (result.url && result.url.startsWith(prefix)) {
        const err = new Error(`Cannot find module '${specifier}': it is only in ${forbidden} (another line's tree), not in this line's node_modules`);
        err.code = context.conditions?.includes('require') ? 'MODULE_NOT_FOUND' : 'ERR_MODULE_NOT_FOUND';
        throw err;
      }
      return result;
    },
  });
}
