import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * The built entry point of one of the project's services: the `./main` export of its package
 * (`@exactly/<name>/main`), found through the workspace's node_modules. It is resolved, never
 * imported, so infra declares no dependency on the services (they depend on the test kit, which
 * depends on infra: a declared dependency would be a cycle). Throws when the service is not built.
 */
export function serviceEntry(name: string): string {
  return require.resolve(`@exactly/${name}/main`);
}

/** Whether `serviceEntry(name)` finds a built entry point. */
export function isServiceBuilt(name: string): boolean {
  try {
    serviceEntry(name);
    return true;
  } catch {
    return false;
  }
}
