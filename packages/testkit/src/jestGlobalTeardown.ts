export default async function jestGlobalTeardown(): Promise<void> {
  await globalThis.exactlyTestInfrastructure?.release();
  globalThis.exactlyTestInfrastructure = undefined;
}
