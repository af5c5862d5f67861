// The project's integration tests use the same browser stand-in that module authors get from the package.
export { FormClient, alertText, inputValue, formFields, type FormResponse } from '../../src/testing/form-client.js';
