// Validation of planner inputs: the shipped JSON Schemas (documents.ts,
// schemas.ts) and component parameters against their composition (parameters.ts).

export { validateDocument, describeErrors, problemsError, type Problem } from "./documents.js";
export { validateComponentParameters, compileComponentSchema, type ParameterContext } from "./parameters.js";
export { closestMatch, didYouMean, editDistance } from "./did-you-mean.js";
export { SCHEMAS, type SchemaName } from "./schemas.js";
export { checkStepTemplates } from "./templates.js";
export { checkRunsOnTemplates, runsOnExpressionWarnings } from "./runs-on.js";
