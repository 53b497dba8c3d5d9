export { checkTemplateContent } from './checkTemplateContent.js';
export { checkVariables } from './checkVariables.js';
export { findTemplate, listTemplates } from './readTemplates.js';
export { renderTemplate } from './renderTemplate.js';
export { templateVariables } from './templateVariables.js';
export {
  type NewTemplateVersion,
  type TemplateWrite,
  templateWritesStored,
  writeTemplates,
} from './writeTemplates.js';
