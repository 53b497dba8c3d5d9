import { fileURLToPath } from 'node:url';

/** The folder of the built dashboard (`index.html` and `assets/`), made by `vite build`. */
export const dashboardAssetsDir = fileURLToPath(new URL('./dist/', import.meta.url));
