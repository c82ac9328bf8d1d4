// Start GOV.UK Frontend's components (served by the app from the npm package).
import { initAll } from "/vendor/govuk-frontend/dist/govuk/govuk-frontend.min.js";

initAll();
