/** The folder of the built dashboard (`index.html` and `assets/`), made by `vite build`. */
export declare const dashboardAssetsDir: string;

export type * from './src/model.js';
