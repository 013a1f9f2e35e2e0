//! Lambda functions as written: handlers run in warm local processes behind Lambda's Runtime API.
