/** Models: CreateModel, DescribeModel, DeleteModel, ListModels. */
export { createModel, deleteModel, describeModel, listModels, modelNotFound } from "./operations.js";
